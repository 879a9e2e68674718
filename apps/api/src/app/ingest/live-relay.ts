import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { Client } from 'pg';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { Database } from '../database/database.service';
import { InstanceIdentity } from '../leases/instance-identity';
import { LiveReading, LiveReadings } from './live-readings';

/** The PostgreSQL channel the instances sharing a database tell each other their stored readings on. */
export const LIVE_CHANNEL = 'pieng_live_readings';
/** PostgreSQL refuses a NOTIFY payload of 8,000 bytes or more. */
export const MAX_PAYLOAD_BYTES = 7900;
/** Readings committed within this long of each other go out in one statement. */
export const RELAY_FLUSH_MS = 20;
/** While the database does not take notifications, at most this many readings wait; older ones are dropped. */
const MAX_WAITING_READINGS = 20_000;
/** The listening connection is asked a trivial question this often, so that one dropped silently is found and replaced. */
const LISTENER_PING_MS = 10_000;
/** How long a stop waits for the last readings to be sent. */
const SHUTDOWN_FLUSH_MS = 2000;
const RECONNECT_MIN_MS = 250;
const RECONNECT_MAX_MS = 15_000;

/**
 * Live readings across instances sharing one PostgreSQL database. Each instance publishes what it
 * stores to its own live streams (LiveReadings), and tells the other instances through PostgreSQL
 * LISTEN/NOTIFY; each instance listens on a connection of its own and hands what the others stored
 * to its LiveReadings, which applies each stream's visibility (client, device) as for its own.
 *
 * Sent after the commit, batched, never inside the ingest transaction: a NOTIFY in the transaction
 * would cost each batch a round trip, and PostgreSQL serialises the commits of all transactions
 * that notify (one global lock on the notification queue), which would make concurrent ingests
 * wait on each other. After the commit, the readings of every batch committed within RELAY_FLUSH_MS
 * go out together, in payloads of at most MAX_PAYLOAD_BYTES, with one statement (an autocommit
 * transaction, delivered when it commits). Only committed readings are ever sent, as with the local
 * streams. What is lost: the readings of a moment in which the database refused the notification, or
 * in which this instance died between its commit and the send, or a listener was reconnecting; a
 * live stream is a view of what arrives (a chart loads what is stored from the database), so these
 * are dropped rather than retried, with a line in the log.
 *
 * Each payload names the instance that sent it; an instance skips its own (it already published
 * them locally). Nothing is sent or heard on SQLite (one instance per database file), nor with
 * LIVE_ACROSS_INSTANCES=false.
 */
@Injectable()
export class LiveRelay implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('LiveRelay');
  readonly active: boolean;
  private readonly ownPrefix: string;
  private waiting: LiveReading[] = [];
  private timer?: NodeJS.Timeout;
  private sending?: Promise<void>;
  private sendFailing = false;
  private dropped = 0;
  private listener?: Client;
  private ping?: NodeJS.Timeout;
  private reconnectMs = RECONNECT_MIN_MS;
  private reconnectTimer?: NodeJS.Timeout;
  /** Since when no connection listens (after one dropped, or the first could not be opened). */
  private deafSince?: number;
  private stopped = false;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly db: Database,
    private readonly identity: InstanceIdentity,
    private readonly live: LiveReadings,
  ) {
    this.active = db.kind === 'postgres' && config.liveAcrossInstances;
    this.ownPrefix = `[${JSON.stringify(identity.id)},`;
  }

  async onApplicationBootstrap(): Promise<void> {
    if (this.active) await this.listen();
  }

  /** After the commit: the readings go to the other instances with those committed in the next RELAY_FLUSH_MS. */
  send(readings: LiveReading[]): void {
    if (!this.active || this.stopped || readings.length === 0) return;
    for (const r of readings) this.waiting.push(r);
    if (this.waiting.length > MAX_WAITING_READINGS) {
      const excess = this.waiting.length - MAX_WAITING_READINGS;
      this.waiting.splice(0, excess);
      this.dropped += excess;
    }
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, RELAY_FLUSH_MS);
  }

  /** Sends what waits (one statement at a time; what arrives meanwhile goes with the next). */
  flush(): Promise<void> {
    if (this.sending) return this.sending;
    if (this.waiting.length === 0) return Promise.resolve();
    const readings = this.waiting;
    this.waiting = [];
    this.sending = this.notify(readings).finally(() => {
      this.sending = undefined;
      if (this.waiting.length > 0 && !this.timer) void this.flush();
    });
    return this.sending;
  }

  private async notify(readings: LiveReading[]): Promise<void> {
    const payloads = encodeLivePayloads(this.identity.id, readings);
    try {
      await this.db.query('SELECT pg_notify(?, p) FROM unnest(?::text[]) AS p', [LIVE_CHANNEL, payloads]);
      if (this.sendFailing || this.dropped > 0) {
        this.logger.log(
          `Live readings reach the other instances again${this.dropped ? ` (${this.dropped} readings were dropped while they could not be sent)` : ''}`,
        );
        this.sendFailing = false;
        this.dropped = 0;
      }
    } catch (err) {
      this.dropped += readings.length;
      if (!this.sendFailing)
        this.logger.warn(
          `Live readings cannot be sent to the other instances (${(err as Error).message}); their live streams miss this instance's readings until they can`,
        );
      this.sendFailing = true;
    }
  }

  /** Opens the listening connection (LISTEN on LIVE_CHANNEL); when it drops, another is opened after a backoff. */
  private async listen(): Promise<void> {
    const url = this.config.database.type === 'postgres' ? this.config.database.url : '';
    // query_timeout bounds the pings: a connection that stopped answering is replaced.
    const client = new Client({
      connectionString: url,
      application_name: `pieng live relay ${this.identity.id}`.slice(0, 63),
      keepAlive: true,
      query_timeout: 5000,
    });
    this.listener = client;
    client.on('notification', (msg) => {
      if (msg.channel === LIVE_CHANNEL && msg.payload) this.received(msg.payload);
    });
    client.on('error', (err) => this.lost(client, err));
    client.on('end', () => this.lost(client));
    try {
      await client.connect();
      await client.query(`LISTEN ${LIVE_CHANNEL}`);
    } catch (err) {
      this.lost(client, err as Error);
      return;
    }
    if (this.listener !== client) return;
    if (this.deafSince !== undefined) {
      this.logger.log(
        `Listening again for the other instances' live readings, after ${((Date.now() - this.deafSince) / 1000).toFixed(1)} s in which their readings were not in this instance's live streams`,
      );
      this.deafSince = undefined;
    }
    this.reconnectMs = RECONNECT_MIN_MS;
    this.ping = setInterval(() => client.query('SELECT 1').catch((err: Error) => this.lost(client, err)), LISTENER_PING_MS);
    this.ping.unref();
  }

  private lost(client: Client, err?: Error): void {
    if (this.listener !== client) return;
    this.listener = undefined;
    clearInterval(this.ping);
    client.end().catch(() => undefined);
    if (this.stopped) return;
    if (this.deafSince === undefined) {
      this.deafSince = Date.now();
      this.logger.warn(`Not listening for the other instances' live readings (${err?.message ?? 'the connection closed'}); trying again`);
    }
    this.reconnectLater();
  }

  private reconnectLater(): void {
    if (this.stopped || this.reconnectTimer) return;
    const wait = this.reconnectMs;
    this.reconnectMs = Math.min(this.reconnectMs * 2, RECONNECT_MAX_MS);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      void this.listen();
    }, wait);
    this.reconnectTimer.unref();
  }

  /** Another instance's readings, to this instance's streams; this instance's own are skipped unread. */
  private received(payload: string): void {
    if (payload.startsWith(this.ownPrefix) || !this.live.watched) return;
    const decoded = decodeLivePayload(payload);
    if (!decoded) {
      this.logger.warn(`A live notification on ${LIVE_CHANNEL} could not be read; ignored`);
      return;
    }
    this.live.publish(decoded.readings);
  }

  /** Before the database closes: what waits is sent, and the listening connection closed. */
  async beforeApplicationShutdown(): Promise<void> {
    if (!this.active) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    // What waits goes out, unless the database keeps it waiting: a stop is not held up for a live view.
    const sent = (async () => {
      while (this.sending || this.waiting.length > 0) await this.flush();
    })();
    let timeout: NodeJS.Timeout | undefined;
    await Promise.race([sent, new Promise<void>((r) => (timeout = setTimeout(r, SHUTDOWN_FLUSH_MS)))]);
    clearTimeout(timeout);
    this.stopped = true;
    clearTimeout(this.reconnectTimer);
    clearInterval(this.ping);
    const client = this.listener;
    this.listener = undefined;
    await client?.end().catch(() => undefined);
  }
}

/**
 * The readings as NOTIFY payloads of at most `maxBytes` (JSON, ASCII: metric names, sources and the
 * instance id are ASCII). One payload: `[origin, sources, nameLists, ...rows]`, a row being
 * `[deviceId, clientId, ts, sourceIndex, namesIndex, ...values]`, so that the names a device sends
 * with every reading go once per payload. A reading too big for one payload is sent in parts (its
 * metrics split between them), each part an event of its own.
 */
export function encodeLivePayloads(origin: string, readings: LiveReading[], maxBytes = MAX_PAYLOAD_BYTES): string[] {
  const out: string[] = [];
  const head = JSON.stringify(origin);
  let sources: string[] = [];
  let nameLists: string[] = [];
  let rows: string[] = [];
  let sourcesLength = 0;
  let namesLength = 0;
  let rowsLength = 0;
  const size = () =>
    1 + head.length + 1 + (2 + sourcesLength + Math.max(0, sources.length - 1)) + 1 + (2 + namesLength + Math.max(0, nameLists.length - 1)) + rowsLength + 1;
  const flush = () => {
    if (rows.length === 0) return;
    out.push(`[${head},[${sources.join(',')}],[${nameLists.join(',')}],${rows.join(',')}]`);
    sources = [];
    nameLists = [];
    rows = [];
    sourcesLength = namesLength = rowsLength = 0;
  };
  /** Adds the reading (or the part of it with these metric names); false when it does not fit even an empty payload. */
  const add = (r: LiveReading, names: string[]): boolean => {
    const source = JSON.stringify(r.source);
    const list = JSON.stringify(names);
    for (let attempt = 0; attempt < 2; attempt++) {
      let s = sources.indexOf(source);
      let n = nameLists.indexOf(list);
      const addsSource = s < 0 ? source.length + (sources.length ? 1 : 0) : 0;
      const addsNames = n < 0 ? list.length + (nameLists.length ? 1 : 0) : 0;
      if (s < 0) s = sources.length;
      if (n < 0) n = nameLists.length;
      let row = `[${r.deviceId},${r.clientId},${r.ts},${s},${n}`;
      for (const name of names) row += `,${JSON.stringify(r.metrics[name])}`;
      row += ']';
      const addsRow = row.length + 1;
      if (size() + addsSource + addsNames + addsRow <= maxBytes) {
        if (addsSource) {
          sources.push(source);
          sourcesLength += source.length;
        }
        if (addsNames) {
          nameLists.push(list);
          namesLength += list.length;
        }
        rows.push(row);
        rowsLength += addsRow;
        return true;
      }
      if (rows.length === 0) return false;
      flush();
    }
    return false;
  };
  const addSplitting = (r: LiveReading, names: string[]): void => {
    if (add(r, names)) return;
    if (names.length <= 1) throw new Error(`reading of device ${r.deviceId} at ${r.ts}: metric ${names[0]} does not fit a live notification`);
    const half = Math.ceil(names.length / 2);
    addSplitting(r, names.slice(0, half));
    addSplitting(r, names.slice(half));
  };
  for (const r of readings) addSplitting(r, Object.keys(r.metrics));
  flush();
  return out;
}

/** A payload of encodeLivePayloads, or undefined when it is not one. */
export function decodeLivePayload(payload: string): { origin: string; readings: LiveReading[] } | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload);
  } catch {
    return undefined;
  }
  if (!Array.isArray(parsed) || typeof parsed[0] !== 'string' || !Array.isArray(parsed[1]) || !Array.isArray(parsed[2])) return undefined;
  const [origin, sources, nameLists] = parsed as [string, string[], string[][]];
  const readings: LiveReading[] = [];
  for (let i = 3; i < parsed.length; i++) {
    const row = parsed[i] as unknown[];
    if (!Array.isArray(row) || row.length < 5) return undefined;
    const [deviceId, clientId, ts, s, n] = row as number[];
    const names = nameLists[n];
    const source = sources[s];
    if (!Array.isArray(names) || typeof source !== 'string' || row.length !== 5 + names.length) return undefined;
    const metrics: Record<string, number> = {};
    for (let k = 0; k < names.length; k++) metrics[names[k]] = row[5 + k] as number;
    readings.push({ deviceId, clientId, ts, source, metrics });
  }
  return { origin, readings };
}
