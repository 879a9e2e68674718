import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { Database } from '../database/database.service';
import { HeldLease } from '../leases/held-lease';
import { LeaseStore } from '../leases/lease-store';
import { ForwardingOutbox, OutboxRow } from './forwarding-outbox';

/** Answers that no retry can change: the batch is split to find the readings refused, and those are dead-lettered. */
export const PERMANENT_STATUSES = new Set([400, 404, 409, 413, 422]);
/** Nothing to send: look again after this long (an ingest wakes the forwarder sooner). */
const IDLE_MS = 1000;
/** The lease that makes one instance the sender when several share one database (and one outbox). */
export const FORWARDER_LEASE = 'forwarder';
/** How often the forwarder lease is renewed while held, and looked at while another instance holds it. */
const LEASE_RENEW_MS = 1000;
/** While the outbox is full, the warning repeats this often. */
const FULL_WARNING_EVERY_MS = 60_000;

/** The body POST /api/ingest accepts from another instance. */
export interface ForwardedBatch {
  source: 'forward';
  devices: Array<{ uid: string; name: string; deviceType: string; driver?: string; clientExternalId?: string }>;
  readings: Array<{ deviceUid: string; timestamp: number; metrics: Record<string, number> }>;
}

class TransientError extends Error {}

export interface ForwarderState {
  lastAttemptAt: number | null;
  lastSuccessAt: number | null;
  lastErrorAt: number | null;
  lastError: string | null;
  consecutiveFailures: number;
  nextAttemptAt: number | null;
  forwarded: number;
}

/**
 * Sends the outbox to the next instance, oldest first, in batches; deletes rows only
 * after a 2xx. Transient failures (network, timeout, 5xx, 408, 429, a rejected key)
 * are retried with capped exponential backoff and jitter, for as long as it takes.
 * A permanent refusal (400, 404, 409, 413, 422) splits the batch in halves until the
 * refused readings are alone; those are dead-lettered, the others go on.
 */
@Injectable()
export class Forwarder implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('Forwarding');
  private stopped = true;
  private loopDone: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private wakeSleeper: (() => void) | undefined;
  private readonly abort = new AbortController();
  private lastFullWarning = 0;
  private lastFailureLog = 0;
  private readonly lease: HeldLease;
  readonly state: ForwarderState = {
    lastAttemptAt: null,
    lastSuccessAt: null,
    lastErrorAt: null,
    lastError: null,
    consecutiveFailures: 0,
    nextAttemptAt: null,
    forwarded: 0,
  };

  constructor(
    private readonly outbox: ForwardingOutbox,
    private readonly db: Database,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly leases: LeaseStore,
  ) {
    this.lease = leases.hold(FORWARDER_LEASE, { ttlMs: config.leaseTtlSec * 1000, job: 'sends the outbox', logger: this.logger });
  }

  /** This instance holds the forwarder lease (sends the outbox) right now. */
  get holdsLease(): boolean {
    return this.lease.held;
  }

  /** Which instance sends the outbox now (the forwarder lease's holder), or null when none does. */
  async leaseOwner(): Promise<string | null> {
    return (await this.leases.holder(FORWARDER_LEASE))?.owner ?? null;
  }

  /** The ingest URL, or undefined when forwarding is off or has no target. */
  get target(): string | undefined {
    const { enabled, url } = this.config.forwarding;
    return enabled && url ? `${url.replace(/\/+$/, '')}/api/ingest` : undefined;
  }

  onApplicationBootstrap(): void {
    if (!this.target) return;
    if (!this.config.forwarding.apiKey)
      this.logger.warn('FORWARDER_URL is set without FORWARDER_API_KEY: the next instance will refuse the readings (401) until a key is configured');
    this.logger.log(`Forwarding stored readings to ${this.target} in batches of ${this.config.forwarding.batchSize}`);
    this.stopped = false;
    this.outbox.onWake(() => this.wake());
    // Renewed every second from a timer, so that a long send (up to FORWARDER_TIMEOUT_MS) keeps the lease.
    this.lease.start();
    this.loopDone = this.loop();
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    this.abort.abort();
    this.wake();
    await this.loopDone;
    // Another instance on the same database takes over at its next look (within a second), not after expiry.
    await this.lease.stop();
  }

  /** Ends an idle sleep (a backoff sleep only at shutdown); the sleeper clears itself when it ends. */
  private wake(): void {
    // Not cleared here: a backoff sleep ignores an ingest's wake-up but must still hear the shutdown's.
    this.wakeSleeper?.();
  }

  /** Sleeps; an idle sleep ends early when readings arrive, a backoff sleep does not (except for shutdown). */
  private sleep(ms: number, wakeable: boolean): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(this.timer);
        this.wakeSleeper = undefined;
        resolve();
      };
      this.timer = setTimeout(done, ms);
      this.wakeSleeper = wakeable ? done : () => (this.stopped ? done() : undefined);
    });
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      // Only the holder of the forwarder lease sends; the others look again every second.
      if (!this.holdsLease) await this.lease.renew();
      if (this.stopped) break;
      if (!this.holdsLease) {
        await this.sleep(LEASE_RENEW_MS, false);
        continue;
      }
      let delay = IDLE_MS;
      let wakeable = true;
      try {
        await this.outbox.catchUp();
        const sent = await this.sendNext();
        if (sent > 0) delay = 0;
        if (this.state.consecutiveFailures > 0) this.logger.log(`Forwarding resumed after ${this.state.consecutiveFailures} failed attempt(s)`);
        this.state.consecutiveFailures = 0;
        this.state.nextAttemptAt = null;
      } catch (err) {
        if (this.stopped) break;
        const message = err instanceof Error ? err.message : String(err);
        this.state.consecutiveFailures++;
        this.state.lastErrorAt = Date.now();
        this.state.lastError = message;
        delay = this.backoff(this.state.consecutiveFailures);
        wakeable = false;
        this.state.nextAttemptAt = Date.now() + delay;
        if (this.state.consecutiveFailures <= 3 || Date.now() - this.lastFailureLog > FULL_WARNING_EVERY_MS) {
          this.lastFailureLog = Date.now();
          this.logger.warn(`Forwarding failed (attempt ${this.state.consecutiveFailures}), retrying in ${delay} ms: ${message}`);
        }
      }
      this.warnWhileFull();
      if (this.stopped) break;
      if (delay > 0) await this.sleep(delay, wakeable);
      else await new Promise((r) => setImmediate(r));
    }
  }

  /** Capped exponential backoff with jitter: between half and all of min * 2^(n-1), at most max. */
  backoff(failures: number): number {
    const { backoffMinMs, backoffMaxMs } = this.config.forwarding;
    const ceiling = Math.min(backoffMaxMs, backoffMinMs * 2 ** Math.min(failures - 1, 30));
    return Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
  }

  private warnWhileFull(): void {
    if (!this.outbox.full || Date.now() - this.lastFullWarning < FULL_WARNING_EVERY_MS) return;
    this.lastFullWarning = Date.now();
    this.logger.warn(
      `Forwarding outbox is full (${this.outbox.describeSize()}, FORWARDER_MAX_OUTBOX_MB): new readings are stored here but wait in the measurements table until the outbox drains; nothing is dropped`,
    );
  }

  /** One batch: returns how many outbox rows it settled (0 when there was nothing to send). */
  private async sendNext(): Promise<number> {
    const rows = await this.outbox.nextBatch(this.config.forwarding.batchSize);
    if (rows.length === 0) return 0;
    const devices = await this.describeDevices([...new Set(rows.map((r) => r.deviceId))]);
    const orphans = rows.filter((r) => !devices.has(r.deviceId));
    if (orphans.length) await this.outbox.deadLetter(orphans, 'The device no longer exists on this instance');
    await this.deliver(
      rows.filter((r) => devices.has(r.deviceId)),
      devices,
    );
    return rows.length;
  }

  /** Sends rows; on a permanent refusal, halves until the refused readings stand alone. Throws TransientError to back off. */
  private async deliver(rows: OutboxRow[], devices: Map<number, ForwardedBatch['devices'][number]>): Promise<void> {
    if (rows.length === 0) return;
    const outcome = await this.post(rows, devices);
    if (outcome.ok) {
      await this.outbox.delivered(rows);
      this.state.lastSuccessAt = Date.now();
      this.state.forwarded += rows.length;
      return;
    }
    if (rows.length === 1) {
      this.logger.warn(`Forwarding: a reading was refused for good and is dead-lettered (${outcome.error})`);
      await this.outbox.deadLetter(rows, outcome.error);
      return;
    }
    const half = Math.ceil(rows.length / 2);
    await this.deliver(rows.slice(0, half), devices);
    await this.deliver(rows.slice(half), devices);
  }

  private async post(rows: OutboxRow[], devices: Map<number, ForwardedBatch['devices'][number]>): Promise<{ ok: true } | { ok: false; error: string }> {
    const target = this.target as string;
    const body: ForwardedBatch = {
      source: 'forward',
      devices: [...new Set(rows.map((r) => r.deviceId))].map((id) => devices.get(id) as ForwardedBatch['devices'][number]),
      readings: rows.map((r) => ({ deviceUid: (devices.get(r.deviceId) as { uid: string }).uid, timestamp: r.ts, metrics: JSON.parse(r.metrics) })),
    };
    this.state.lastAttemptAt = Date.now();
    let status: number;
    let text: string;
    try {
      const res = await fetch(target, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(this.config.forwarding.apiKey && { 'x-api-key': this.config.forwarding.apiKey }) },
        body: JSON.stringify(body),
        signal: AbortSignal.any([this.abort.signal, AbortSignal.timeout(this.config.forwarding.timeoutMs)]),
      });
      status = res.status;
      text = await res.text();
    } catch (err) {
      const e = err as Error & { cause?: { code?: string; message?: string } };
      const reason = e.name === 'TimeoutError' ? `no answer within ${this.config.forwarding.timeoutMs} ms` : (e.cause?.code ?? e.cause?.message ?? e.message);
      throw new TransientError(`POST ${target}: ${reason}`);
    }
    if (status >= 200 && status < 300) return { ok: true };
    let message = text.slice(0, 300);
    try {
      message = (JSON.parse(text) as { message?: string }).message ?? message;
    } catch {
      // not JSON: keep the text
    }
    const error = `POST ${target}: ${status} ${message}`;
    if (PERMANENT_STATUSES.has(status)) return { ok: false, error };
    throw new TransientError(error);
  }

  /** Who the devices are, in terms another instance understands: uid, name, type and driver here (or at the origin), client external id. */
  private async describeDevices(ids: number[]): Promise<Map<number, ForwardedBatch['devices'][number]>> {
    const rows = await this.db.query<{
      id: number;
      uid: string;
      name: string;
      device_type: string;
      config: string;
      external_id: string | null;
      origin_device_type: string | null;
      origin_driver: string | null;
    }>(
      `SELECT d.id, d.uid, d.name, d.device_type, d.config, c.external_id, f.origin_device_type, f.origin_driver
       FROM devices d JOIN clients c ON c.id = d.client_id LEFT JOIN forwarded_devices f ON f.device_id = d.id
       WHERE d.id IN (${ids.map(() => '?').join(',')})`,
      ids,
    );
    const out = new Map<number, ForwardedBatch['devices'][number]>();
    for (const r of rows) {
      let driver: string | undefined = r.origin_driver ?? undefined;
      if (!driver) {
        try {
          const config = JSON.parse(r.config) as { driver?: unknown };
          if (typeof config.driver === 'string') driver = config.driver;
        } catch {
          // a config that is not JSON has no driver to tell
        }
      }
      out.set(Number(r.id), {
        uid: r.uid,
        name: r.name,
        deviceType: r.origin_device_type ?? r.device_type,
        ...(driver && { driver }),
        ...(r.external_id && { clientExternalId: r.external_id }),
      });
    }
    return out;
  }
}
