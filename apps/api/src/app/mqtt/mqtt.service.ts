import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { METRIC_NAME_PATTERN } from '@pieng/shared';
import { MQTT_ANNOUNCEMENT_FILTERS } from '@pieng/connectors';
import { connect, type IClientOptions, type IPublishPacket, type MqttClient } from 'mqtt';
import { ALL_CLIENTS } from '../common/client-scope';
import { DomainError, NotFoundError } from '../common/domain-errors';
import { APP_CONFIG, AppConfig, MqttSettings } from '../config/app-config';
import { DevicesService } from '../devices/devices.service';
import { EARLIEST_TS, MAX_FUTURE_MS } from '../ingest/ingest-validation';
import { IngestService } from '../ingest/ingest.service';
import { HeldLease } from '../leases/held-lease';
import { LeaseStore } from '../leases/lease-store';
import { MQTT_LEASE, RECONNECT_MAX_MS, RECONNECT_MIN_MS, REDELIVERY_WINDOW_MS } from './mqtt-constants';
import { MqttDeviceDirectory, MqttDeviceEntry } from './mqtt-device-directory';
import { MqttDeviceState } from './mqtt-device-state';
import { MqttDiscovery } from './mqtt-discovery';
import { MqttPublisher } from './mqtt-publisher';

/** How the connection to the broker stands, for GET /api/health. */
export interface MqttConnectionState {
  /** off: no MQTT_URL; standby: another instance on the database holds the mqtt lease and connects; connecting: the first attempt; connected; reconnecting: the broker was lost or refused (see lastError). */
  status: 'off' | 'standby' | 'connecting' | 'connected' | 'reconnecting';
  broker: string | null;
  clientId: string | null;
  subscriptions: number;
  /** Messages received and not acknowledged yet (queued or being stored). */
  unacknowledged: number;
  /** MQTT_PUBLISH: readings waiting to be published, publications acknowledged by the broker, readings not published (dropped). */
  publishQueued: number;
  published: number;
  publishDropped: number;
  devices: number;
  lastError: string | null;
  lastErrorAt: number | null;
  connectedAt: number | null;
}

/** Renewal of the mqtt lease, and the look at device settings, once a second. */
const TICK_MS = 1_000;
/** The devices are read again at least this often. */
const RELOAD_EVERY_MS = 60_000;
/** A clean disconnect (pending acknowledgements sent) may take this long before the socket is just closed. */
const END_WITHIN_MS = 2_000;
/**
 * Messages received and not yet acknowledged, at most: an MQTT 5 broker is told so (Receive Maximum)
 * and sends no more; from a 3.1.1 broker that sends more, the next message is taken only when a batch
 * has made room (MQTT.js reads on once handleMessage calls back).
 */
export const MAX_UNACKNOWLEDGED = 2_000;
/** Readings stored in one IngestService transaction, at most. */
const MAX_BATCH = 1_000;
/** handleMessage's answer for a message that MQTT.js must not acknowledge itself: this service does, once stored. */
const ACKNOWLEDGED_LATER = new Error('acknowledged once stored');

/** A received QoS 1 message, to be acknowledged on the connection it came on. */
interface MessageAck {
  client: MqttClient;
  stream: MqttClient['stream'];
  messageId: number;
}

/** A message decoded to a reading, waiting for its batch; the message (and its redeliveries seen meanwhile) is acknowledged once the batch is stored. */
interface QueuedReading {
  entry: MqttDeviceEntry;
  ts: number;
  metrics: Record<string, number>;
  receivedAt: number;
  redeliveryKey: string | undefined;
  acks: MessageAck[];
  /** Stored (or dropped: its device deleted) and its messages acknowledged: a redelivery now is acknowledged at once. */
  settled?: boolean;
}

/**
 * PUBACK packets (MQTT 3.1.1 section 3.4, the same bytes in MQTT 5 for success) written on the connection
 * the messages came on. A connection since closed gets none: the broker sends those messages again on
 * the next one, where they are stored once (same key) and acknowledged then. Never on a newer
 * connection: the broker may have given the same packet id to another message there.
 * MQTT.js has no supported way to acknowledge later (handleMessage takes one message at a time), so this
 * leans on how 5.16.0 handles a handleMessage error (no PUBACK, on to the next message): package.json pins
 * that exact version, and the specs that hold a batch back fail if an upgrade changes it.
 */
function acknowledge(acks: MessageAck[]): void {
  const byStream = new Map<MessageAck['stream'], { client: MqttClient; ids: number[] }>();
  for (const a of acks) {
    if (!a.client.connected || a.client.stream !== a.stream) continue;
    const group = byStream.get(a.stream) ?? { client: a.client, ids: [] };
    group.ids.push(a.messageId);
    byStream.set(a.stream, group);
  }
  for (const [stream, { ids }] of byStream) {
    const bytes = Buffer.allocUnsafe(ids.length * 4);
    ids.forEach((id, i) => {
      bytes[i * 4] = 0x40;
      bytes[i * 4 + 1] = 0x02;
      bytes.writeUInt16BE(id, i * 4 + 2);
    });
    stream.write(bytes);
  }
}

/** A broker URL without credentials, for logs and health. */
const shownUrl = (url: string) => url.replace(/\/\/[^@/]*@/, '//');

/**
 * Reads the MQTT meters: while this instance holds the `mqtt` lease it keeps one connection to the
 * broker (MQTT_URL) under a fixed client id with a persistent session (clean: false), subscribed
 * at QoS 1 to the topics of every active mqtt device. Each message is decoded for its device and
 * its reading stored through IngestService (source `mqtt`); the message is acknowledged only once
 * stored, so a crash or a lost lease leaves it queued in the broker's session for the next holder.
 *
 * Duplicates: the store keeps one value per (device, metric, timestamp); a message without its
 * own time takes the receive time, and the same topic and payload again within 10 s is a
 * redelivery, stored once. A retained message (sent again on every subscribe) only marks the
 * device seen, unless it carries its own time newer than the device's last stored reading.
 */
@Injectable()
export class MqttService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('MQTT');
  private readonly settings: MqttSettings | undefined;
  private client: MqttClient | undefined;
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private stopped = true;
  /** Held while this instance reads the MQTT meters; renewed by each upkeep tick. */
  private readonly lease: HeldLease;
  private revision = -1;
  private loadedAt = 0;
  private subscribed = new Set<string>();
  private syncing: Promise<void> | undefined;
  private reconnectDelay = RECONNECT_MIN_MS;
  /** Messages without their own time stored lately: topic + payload -> receive time (oldest first). */
  private readonly recent = new Map<string, number>();
  /** Readings waiting for the next batch (oldest first), and those of them without their own time by topic + payload. */
  private queue: QueuedReading[] = [];
  private readonly queuedByKey = new Map<string, QueuedReading>();
  /** Messages received and not acknowledged yet (queued or being stored). */
  private unacknowledged = 0;
  /** handleMessage callbacks held until a batch makes room (a broker that sends past MAX_UNACKNOWLEDGED). */
  private waitingForRoom: Array<() => void> = [];
  /** The batches being stored, one after the other, until the queue is empty. */
  private draining: Promise<void> | undefined;
  private readonly state: MqttConnectionState;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly ingest: IngestService,
    private readonly devices: DevicesService,
    private readonly directory: MqttDeviceDirectory,
    private readonly deviceState: MqttDeviceState,
    private readonly discovery: MqttDiscovery,
    private readonly publisher: MqttPublisher,
    leases: LeaseStore,
  ) {
    this.settings = config.mqtt;
    this.lease = leases.hold(MQTT_LEASE, { ttlMs: config.leaseTtlSec * 1000, job: 'reads the MQTT meters', logger: this.logger });
    this.state = {
      status: this.settings ? 'standby' : 'off',
      broker: this.settings ? shownUrl(this.settings.url) : null,
      clientId: this.settings?.clientId ?? null,
      subscriptions: 0,
      unacknowledged: 0,
      publishQueued: 0,
      published: 0,
      publishDropped: 0,
      devices: 0,
      lastError: null,
      lastErrorAt: null,
      connectedAt: null,
    };
  }

  /** How the connection stands now. */
  connectionState(): MqttConnectionState {
    return {
      ...this.state,
      subscriptions: this.subscribed.size,
      unacknowledged: this.unacknowledged,
      publishQueued: this.publisher.queued,
      published: this.publisher.published,
      publishDropped: this.publisher.dropped,
      devices: this.directory.size,
    };
  }

  get holdsLease(): boolean {
    return this.lease.held;
  }

  onApplicationBootstrap(): void {
    if (!this.settings) return;
    this.stopped = false;
    this.logger.log(`MQTT meters read from ${shownUrl(this.settings.url)} as client ${this.settings.clientId} by the holder of the "${MQTT_LEASE}" lease`);
    this.timer = setInterval(() => void this.tick(), TICK_MS);
    void this.tick();
  }

  async onModuleDestroy(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.timer);
    await this.ticking;
    await this.disconnect();
    await this.deviceState.flush();
    await this.lease.stop();
  }

  /** Forces the connection down and up again (the broker then redelivers what was not acknowledged). For tests and operators. */
  async reconnect(): Promise<void> {
    await this.disconnect();
    await this.tick();
  }

  private tick(): Promise<void> {
    this.ticking ??= (async () => {
      try {
        await this.lease.renew();
        if (this.stopped) return;
        if (!this.holdsLease) {
          if (this.client) {
            this.logger.warn('Another instance took over the MQTT connection (mqtt lease)');
            await this.disconnect();
          }
          this.state.status = 'standby';
          return;
        }
        const revision = await this.devices.settingsRevision();
        // Also every minute: a client's time zone (how Tasmota times are read) changes without a device revision.
        if (revision !== this.revision || !this.client || Date.now() - this.loadedAt >= RELOAD_EVERY_MS) {
          await this.directory.load(this.config.plantTimezone);
          if (revision !== this.revision) this.publisher.devicesChanged();
          this.revision = revision;
          this.loadedAt = Date.now();
        }
        if (!this.client) this.connect();
        else if (this.client.connected) await this.syncSubscriptions();
        await this.deviceState.flush();
        this.forgetOldRedeliveries(Date.now());
      } catch (err) {
        this.logger.warn(`MQTT upkeep failed: ${(err as Error).message}`);
      }
    })().finally(() => (this.ticking = undefined));
    return this.ticking;
  }

  private connect(): void {
    const s = this.settings as MqttSettings;
    const options: IClientOptions = {
      clientId: s.clientId,
      clean: false,
      protocolVersion: s.protocolVersion,
      // MQTT 5: the session outlives the connection only for its expiry interval (the largest: never expires, as under 3.1.1).
      ...(s.protocolVersion === 5 && { properties: { sessionExpiryInterval: 0xffffffff, receiveMaximum: MAX_UNACKNOWLEDGED } }),
      reconnectPeriod: RECONNECT_MIN_MS,
      connectTimeout: 10_000,
      keepalive: 30,
      // Subscriptions are kept by syncSubscriptions (the broker keeps them in the persistent session too).
      resubscribe: false,
      ...(s.username !== undefined && { username: s.username }),
      ...(s.password !== undefined && { password: s.password }),
      ...(s.ca && { ca: s.ca }),
      ...(s.cert && { cert: s.cert }),
      ...(s.key && { key: s.key }),
    };
    this.state.status = this.state.connectedAt === null ? 'connecting' : 'reconnecting';
    const client = connect(s.url, options);
    // MQTT.js hands messages over one at a time and acknowledges each when this calls back without an error.
    // A message with a reading to store is queued, and MQTT.js told (by the error) not to acknowledge it:
    // acknowledge() does once its batch is stored, so that many messages share one transaction.
    client.handleMessage = (packet, done) => {
      const p = packet as IPublishPacket;
      const ack = p.qos > 0 && p.messageId !== undefined ? { client, stream: client.stream, messageId: p.messageId } : undefined;
      if (this.take(p, Date.now(), ack) === 'handled') return done();
      if (this.unacknowledged < MAX_UNACKNOWLEDGED) return done(ACKNOWLEDGED_LATER);
      this.waitingForRoom.push(() => done(ACKNOWLEDGED_LATER));
    };
    client.on('connect', (connack) => {
      this.reconnectDelay = RECONNECT_MIN_MS;
      client.options.reconnectPeriod = RECONNECT_MIN_MS;
      this.state.status = 'connected';
      this.state.connectedAt = Date.now();
      // Without a session the broker forgot our subscriptions (a first start, or its store was lost).
      if (!connack.sessionPresent) this.subscribed.clear();
      this.logger.log(`Connected to ${shownUrl(s.url)} (${connack.sessionPresent ? 'session resumed' : 'new session'})`);
      void this.syncSubscriptions().catch((err) => this.noteError(err));
      this.publisher.attach(client);
    });
    client.on('error', (err) => this.noteError(err));
    client.on('close', () => {
      if (this.client !== client) return;
      this.publisher.attach(undefined);
      if (this.state.status === 'connected') this.logger.warn(`Lost the broker ${shownUrl(s.url)}; reconnecting`);
      this.state.status = 'reconnecting';
    });
    client.on('reconnect', () => {
      // Back-off: each failed attempt doubles the wait, up to RECONNECT_MAX_MS.
      this.reconnectDelay = Math.min(this.reconnectDelay * 2, RECONNECT_MAX_MS);
      client.options.reconnectPeriod = this.reconnectDelay;
    });
    client.on('offline', () => {
      if (this.client === client && this.state.lastError === null) this.noteError(new Error('the broker is not reachable'));
    });
    this.client = client;
  }

  private noteError(err: unknown): void {
    this.state.lastError = (err as Error).message ?? String(err);
    this.state.lastErrorAt = Date.now();
  }

  /** Subscribes to the topics of new devices and leaves those of devices gone. */
  private syncSubscriptions(): Promise<void> {
    this.syncing ??= (async () => {
      const client = this.client;
      if (!client?.connected) return;
      // The devices' topics, and where meters announce themselves (GET /api/mqtt/discovered).
      const wanted = new Set([...this.directory.filters(), ...MQTT_ANNOUNCEMENT_FILTERS]);
      const add = [...wanted].filter((t) => !this.subscribed.has(t));
      const remove = [...this.subscribed].filter((t) => !wanted.has(t));
      if (add.length) {
        const granted = await client.subscribeAsync(Object.fromEntries(add.map((t) => [t, { qos: 1 as const }])));
        for (const g of granted) {
          if (g.qos === 128) this.noteError(new Error(`the broker refused the subscription to ${g.topic}`));
          else this.subscribed.add(g.topic);
        }
      }
      if (remove.length) {
        await client.unsubscribeAsync(remove);
        for (const t of remove) this.subscribed.delete(t);
      }
    })().finally(() => (this.syncing = undefined));
    return this.syncing;
  }

  private async disconnect(): Promise<void> {
    const client = this.client;
    if (!client) return;
    this.client = undefined;
    this.publisher.attach(undefined);
    this.subscribed.clear();
    // What is queued is stored and acknowledged first; what follows stays in the broker's session.
    await this.drain();
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, END_WITHIN_MS)));
    await Promise.race([client.endAsync(false).catch(() => undefined), late]).finally(() => clearTimeout(timer));
    if (!client.disconnected) client.end(true);
    this.state.connectedAt = null;
  }

  /**
   * Decodes a message for its device. 'handled': nothing to store (unknown topic, status, rejected,
   * a redelivery of a reading already stored), to be acknowledged now; 'queued': its reading waits in
   * the queue (or it is a redelivery of one that does) and is acknowledged with it once stored.
   */
  private take(packet: Pick<IPublishPacket, 'topic' | 'payload' | 'retain'>, receivedAt: number, ack: MessageAck | undefined): 'handled' | 'queued' {
    this.discovery.observe(packet.topic, Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload), receivedAt);
    const entry = this.directory.find(packet.topic);
    // A device deleted or deactivated meanwhile: nothing to store.
    if (!entry) return 'handled';
    const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
    const result = entry.decoder.decode(packet.topic, payload);
    switch (result.kind) {
      case 'ignored':
        this.deviceState.seen(entry.id, receivedAt);
        return 'handled';
      case 'rejected':
        this.deviceState.rejected(entry.id, receivedAt, payload, result.reason);
        return 'handled';
      case 'status':
        this.deviceState.seen(entry.id, receivedAt, result.online);
        return 'handled';
    }
    const { timestamp, metrics } = result;
    // What the store would refuse is refused here, so that a bad message is counted, not retried for ever.
    const unfit = Object.entries(metrics).find(([metric, value]) => !Number.isFinite(value) || !METRIC_NAME_PATTERN.test(metric));
    if (unfit) {
      this.deviceState.rejected(entry.id, receivedAt, payload, `${unfit[0]} = ${unfit[1]} cannot be stored (a finite number under a metric name is needed)`);
      return 'handled';
    }
    if (timestamp !== undefined && (timestamp < EARLIEST_TS || timestamp > receivedAt + MAX_FUTURE_MS)) {
      this.deviceState.rejected(
        entry.id,
        receivedAt,
        payload,
        `its time ${new Date(timestamp).toISOString()} is ${timestamp < EARLIEST_TS ? 'before 2000' : 'more than 5 minutes ahead'} (the device's clock or time zone is wrong)`,
      );
      return 'handled';
    }
    // A retained message is an old one sent again on subscribing: a reading only when it says it is newer than the last stored.
    if (packet.retain && (timestamp === undefined || timestamp <= (entry.lastStoredTs ?? 0))) {
      this.deviceState.seen(entry.id, receivedAt, true);
      return 'handled';
    }
    const redeliveryKey = timestamp === undefined ? `${packet.topic}\u0000${payload.toString('latin1')}` : undefined;
    if (redeliveryKey !== undefined) {
      const before = this.recent.get(redeliveryKey);
      if (before !== undefined && receivedAt - before <= REDELIVERY_WINDOW_MS) {
        this.deviceState.seen(entry.id, receivedAt, true);
        return 'handled';
      }
      // Sent again while the first is still queued: acknowledged with it.
      const queued = this.queuedByKey.get(redeliveryKey);
      if (queued && receivedAt - queued.receivedAt <= REDELIVERY_WINDOW_MS) {
        if (queued.settled) return 'handled';
        if (ack) {
          queued.acks.push(ack);
          this.unacknowledged++;
        }
        return 'queued';
      }
    }
    // Without its own time: the receive time, but a millisecond after the device's previous such message, so that two received in the same millisecond (one batch) are both kept.
    const ts = timestamp ?? Math.max(receivedAt, (entry.lastReceiveTs ?? 0) + 1);
    if (timestamp === undefined) entry.lastReceiveTs = ts;
    const reading: QueuedReading = { entry, ts, metrics, receivedAt, redeliveryKey, acks: ack ? [ack] : [] };
    this.queue.push(reading);
    if (redeliveryKey !== undefined) this.queuedByKey.set(redeliveryKey, reading);
    if (ack) this.unacknowledged++;
    void this.drain();
    return 'queued';
  }

  /** Stores the queue in batches until it is empty; resolves then. */
  private drain(): Promise<void> {
    this.draining ??= (async () => {
      while (this.queue.length) {
        const batch = this.queue.splice(0, MAX_BATCH);
        try {
          await this.storeBatch(batch);
        } catch (err) {
          // Not stored and not acknowledged (stopping, or the lease lost): the broker keeps the messages for the next connection.
          this.logger.warn(`${batch.length} MQTT message(s) left unacknowledged: ${(err as Error).message}`);
        } finally {
          for (const r of batch) {
            if (r.redeliveryKey !== undefined && this.queuedByKey.get(r.redeliveryKey) === r) this.queuedByKey.delete(r.redeliveryKey);
            this.unacknowledged -= r.acks.length;
          }
          for (const proceed of this.waitingForRoom.splice(0, Math.max(0, MAX_UNACKNOWLEDGED - this.unacknowledged))) proceed();
        }
      }
    })().finally(() => (this.draining = undefined));
    return this.draining;
  }

  /**
   * One transaction for the whole batch; acknowledged once committed. If it fails, each reading is
   * stored alone (store(): retried while the failure may pass, dropped for a device deleted meanwhile).
   */
  private async storeBatch(batch: QueuedReading[]): Promise<void> {
    try {
      await this.ingest.ingest(
        batch.map((r) => ({ deviceId: r.entry.id, ts: r.ts, metrics: r.metrics })),
        ALL_CLIENTS,
        'mqtt',
      );
      for (const r of batch) this.stored(r);
      acknowledge(batch.flatMap((r) => r.acks));
      for (const r of batch) r.settled = true;
      return;
    } catch (err) {
      if (batch.length === 1 && (this.stopped || !this.holdsLease)) throw err;
    }
    for (const r of batch) {
      if (await this.store(r.entry, r.ts, r.metrics)) this.stored(r);
      acknowledge(r.acks);
      r.settled = true;
    }
  }

  private stored(r: QueuedReading): void {
    r.entry.lastStoredTs = Math.max(r.entry.lastStoredTs ?? 0, r.ts);
    if (r.redeliveryKey !== undefined) {
      // Re-inserted so that the map stays oldest first (forgetOldRedeliveries stops at the first young one).
      this.recent.delete(r.redeliveryKey);
      this.recent.set(r.redeliveryKey, r.receivedAt);
    }
    this.deviceState.seen(r.entry.id, r.receivedAt, true);
  }

  /**
   * Stores one reading through IngestService. A failure that may pass (the database, the audit trail
   * refusing while its disk is full) is retried with back-off while this instance holds the lease, so
   * that the message is acknowledged only once stored; a device deleted meanwhile is dropped.
   */
  private async store(entry: MqttDeviceEntry, ts: number, metrics: Record<string, number>): Promise<boolean> {
    let delay = RECONNECT_MIN_MS;
    for (;;) {
      try {
        await this.ingest.ingest([{ deviceId: entry.id, ts, metrics }], ALL_CLIENTS, 'mqtt');
        return true;
      } catch (err) {
        if (err instanceof NotFoundError) return false;
        const passing = !(err instanceof DomainError) || err.statusCode >= 500;
        if (!passing) {
          this.deviceState.rejected(entry.id, Date.now(), Buffer.from(JSON.stringify(metrics)), (err as Error).message);
          return false;
        }
        if (this.stopped || !this.holdsLease) throw err;
        this.logger.warn(`Could not store a reading of device ${entry.id} from MQTT (retried in ${delay} ms): ${(err as Error).message}`);
        await new Promise((resolve) => setTimeout(resolve, delay));
        delay = Math.min(delay * 2, RECONNECT_MAX_MS);
      }
    }
  }

  private forgetOldRedeliveries(now: number): void {
    for (const [key, at] of this.recent) {
      if (now - at <= REDELIVERY_WINDOW_MS) break;
      this.recent.delete(key);
    }
  }

  /** For tests: writes the devices' MQTT state now instead of at the next flush. */
  flushDeviceState(): Promise<void> {
    return this.deviceState.flush();
  }
}
