import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { Database } from '../database/database.service';

/** A stored reading as the outbox keeps it: the values of one device at one instant. */
export interface OutboxReading {
  deviceId: number;
  ts: number;
  metrics: Record<string, number>;
}

export interface OutboxRow {
  id: number;
  deviceId: number;
  ts: number;
  metrics: string;
}

/** What a row costs besides its metrics JSON (id, device, times, index entry): an estimate, on either engine. */
export const ROW_OVERHEAD_BYTES = 64;
export const rowBytes = (metricsJson: string) => metricsJson.length + ROW_OVERHEAD_BYTES;
/** Catch-up refills the outbox from the measurements only when it has drained below this share of its bound. */
const CATCH_UP_BELOW = 0.5;
/** Instants re-queued per catch-up step. */
const CATCH_UP_INSTANTS = 1000;
const ROWS_PER_STATEMENT = 250;

/** What an ingest transaction did to the outbox, applied to the counters once it has committed. */
export interface EnqueueResult {
  bytes: number;
  overflowed: boolean;
}

/**
 * The durable outbox of readings to forward. IngestService writes it in the same
 * transaction as the measurements, for the values actually stored; the Forwarder
 * reads it oldest first and deletes rows only after the next instance answered 2xx.
 *
 * Bound: the outbox's estimated size (its JSON plus a fixed overhead per row) never
 * passes FORWARDER_MAX_OUTBOX_MB. At the bound nothing is dropped: readings are still
 * stored locally, and instead of outbox rows their device's time range is kept in
 * forward_overflow (one row per device, widened as readings come). Once the outbox
 * has drained below half its bound, the catch-up re-queues those ranges from the
 * measurements table. Re-sending a value the slave already has is harmless (it
 * stores each device, metric and timestamp once).
 */
@Injectable()
export class ForwardingOutbox implements OnModuleInit {
  private readonly logger = new Logger('Forwarding');
  /** Estimated size of the outbox rows (pending and dead). Re-counted at start and after each catch-up. */
  private bytes = 0;
  /** True from the moment a write would pass the bound until the overflow ranges are all re-queued. */
  private overflowing = false;
  private wakeListener: (() => void) | undefined;

  constructor(
    private readonly db: Database,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Forwarding writes outbox rows only when it is on and has a target. */
  get active(): boolean {
    return this.config.forwarding.enabled && !!this.config.forwarding.url;
  }

  get maxBytes(): number {
    return this.config.forwarding.maxOutboxBytes;
  }

  get estimatedBytes(): number {
    return this.bytes;
  }

  get full(): boolean {
    return this.overflowing;
  }

  async onModuleInit(): Promise<void> {
    await this.recount();
    const [{ n }] = await this.db.query<{ n: number | string }>('SELECT COUNT(*) AS n FROM forward_overflow');
    this.overflowing = Number(n) > 0 || this.bytes >= this.maxBytes;
  }

  /** Re-counts the outbox size from the table (cheap next to a catch-up, too dear for every batch). */
  async recount(): Promise<void> {
    const [row] = await this.db.query<{ n: number | string | null }>(
      `SELECT COALESCE(SUM(LENGTH(metrics)), 0) + ${ROW_OVERHEAD_BYTES} * COUNT(*) AS n FROM forward_outbox`,
    );
    this.bytes = Number(row?.n ?? 0);
  }

  onWake(listener: () => void): void {
    this.wakeListener = listener;
  }

  /**
   * Inside the ingest transaction: one outbox row per stored reading, or, at the bound,
   * the devices' time ranges for the catch-up. Returns what to apply after the commit.
   */
  async enqueue(m: EntityManager, readings: OutboxReading[]): Promise<EnqueueResult> {
    if (!this.active || readings.length === 0) return { bytes: 0, overflowed: false };
    const now = Date.now();
    const json = readings.map((r) => JSON.stringify(r.metrics));
    const bytes = json.reduce((sum, j) => sum + rowBytes(j), 0);
    if (this.overflowing || this.bytes + bytes > this.maxBytes) {
      await this.widenOverflow(m, readings, now);
      return { bytes: 0, overflowed: true };
    }
    for (let start = 0; start < readings.length; start += ROWS_PER_STATEMENT) {
      const n = Math.min(ROWS_PER_STATEMENT, readings.length - start);
      const params: unknown[] = [];
      for (let i = start; i < start + n; i++) params.push(readings[i].deviceId, readings[i].ts, json[i], now);
      await m.query(this.db.sql(`INSERT INTO forward_outbox (device_id, ts, metrics, created_at) VALUES ${'(?,?,?,?),'.repeat(n).slice(0, -1)}`), params);
    }
    return { bytes, overflowed: false };
  }

  /** After the ingest commit. */
  committed(result: EnqueueResult): void {
    this.bytes += result.bytes;
    if (result.overflowed && !this.overflowing) {
      this.overflowing = true;
      this.logger.warn(
        `Forwarding outbox is full (${this.describeSize()}): readings are stored here and will be forwarded from the measurements table once the outbox drains`,
      );
    }
    if (result.bytes > 0 || result.overflowed) this.wakeListener?.();
  }

  describeSize(): string {
    const mb = (b: number) => (b / 1024 / 1024).toFixed(b < 1024 * 1024 ? 3 : 1);
    return `${mb(this.bytes)} of ${mb(this.maxBytes)} MB`;
  }

  private async widenOverflow(m: EntityManager, readings: OutboxReading[], now: number): Promise<void> {
    const ranges = new Map<number, { min: number; max: number }>();
    for (const r of readings) {
      const range = ranges.get(r.deviceId);
      if (!range) ranges.set(r.deviceId, { min: r.ts, max: r.ts });
      else {
        if (r.ts < range.min) range.min = r.ts;
        if (r.ts > range.max) range.max = r.ts;
      }
    }
    const [least, greatest] = this.db.kind === 'postgres' ? ['LEAST', 'GREATEST'] : ['MIN', 'MAX'];
    for (const [deviceId, { min, max }] of ranges) {
      await m.query(
        this.db.sql(`INSERT INTO forward_overflow (device_id, ts_min, ts_max, since) VALUES (?, ?, ?, ?)
          ON CONFLICT (device_id) DO UPDATE SET ts_min = ${least}(forward_overflow.ts_min, excluded.ts_min), ts_max = ${greatest}(forward_overflow.ts_max, excluded.ts_max)`),
        [deviceId, min, max, now],
      );
    }
  }

  /** The oldest pending rows, oldest first. */
  async nextBatch(limit: number): Promise<OutboxRow[]> {
    const rows = await this.db.query<{ id: number | string; device_id: number; ts: number | string; metrics: string }>(
      'SELECT id, device_id, ts, metrics FROM forward_outbox WHERE dead_at IS NULL ORDER BY id LIMIT ?',
      [limit],
    );
    return rows.map((r) => ({ id: Number(r.id), deviceId: Number(r.device_id), ts: Number(r.ts), metrics: r.metrics }));
  }

  /** The next instance has stored these (2xx). */
  async delivered(rows: OutboxRow[]): Promise<void> {
    if (rows.length === 0) return;
    await this.db.transaction((m) =>
      m.query(
        this.db.sql(`DELETE FROM forward_outbox WHERE id IN (${rows.map(() => '?').join(',')})`),
        rows.map((r) => r.id),
      ),
    );
    this.bytes = Math.max(0, this.bytes - rows.reduce((sum, r) => sum + rowBytes(r.metrics), 0));
  }

  /** These can never be accepted as they are: parked, visible, retried only on request. */
  async deadLetter(rows: OutboxRow[], error: string): Promise<void> {
    if (rows.length === 0) return;
    await this.db.transaction((m) =>
      m.query(this.db.sql(`UPDATE forward_outbox SET dead_at = ?, last_error = ? WHERE id IN (${rows.map(() => '?').join(',')})`), [
        Date.now(),
        error.slice(0, 1000),
        ...rows.map((r) => r.id),
      ]),
    );
  }

  /** Puts every dead letter back in the queue; they keep their place (oldest first). */
  async retryDeadLetters(): Promise<number> {
    const n = await this.db.transaction((m) => this.db.execute('UPDATE forward_outbox SET dead_at = NULL, last_error = NULL WHERE dead_at IS NOT NULL', [], m));
    if (n > 0) this.wakeListener?.();
    return n;
  }

  /** When the oldest reading still waiting to be forwarded was queued (epoch ms), or null when none waits (the `forwardingStuck` platform alarm). */
  async oldestPendingAt(): Promise<number | null> {
    const [oldest] = await this.db.query<{ created_at: number | string }>('SELECT created_at FROM forward_outbox WHERE dead_at IS NULL ORDER BY id LIMIT 1');
    return oldest ? Number(oldest.created_at) : null;
  }

  async counts(): Promise<{
    pending: number;
    deadLettered: number;
    oldestPendingAt: number | null;
    overflowDevices: number;
    lastDeadLetterError: string | null;
  }> {
    const [pending] = await this.db.query<{ n: number | string }>('SELECT COUNT(*) AS n FROM forward_outbox WHERE dead_at IS NULL');
    const [dead] = await this.db.query<{ n: number | string }>('SELECT COUNT(*) AS n FROM forward_outbox WHERE dead_at IS NOT NULL');
    const oldestPendingAt = await this.oldestPendingAt();
    const [overflow] = await this.db.query<{ n: number | string }>('SELECT COUNT(*) AS n FROM forward_overflow');
    const [lastDead] = await this.db.query<{ last_error: string }>(
      'SELECT last_error FROM forward_outbox WHERE dead_at IS NOT NULL ORDER BY dead_at DESC, id DESC LIMIT 1',
    );
    return {
      pending: Number(pending.n),
      deadLettered: Number(dead.n),
      oldestPendingAt,
      overflowDevices: Number(overflow.n),
      lastDeadLetterError: lastDead?.last_error ?? null,
    };
  }

  /**
   * Re-queues readings kept out by the bound, from the measurements table, while the
   * outbox has room. Returns the readings re-queued.
   */
  async catchUp(): Promise<number> {
    if (!this.overflowing || this.bytes >= this.maxBytes * CATCH_UP_BELOW) return 0;
    let queued = 0;
    for (let step = 0; step < 50 && this.bytes < this.maxBytes * CATCH_UP_BELOW; step++) {
      const [range] = await this.db.query<{ device_id: number; ts_min: number | string; ts_max: number | string }>(
        'SELECT device_id, ts_min, ts_max FROM forward_overflow ORDER BY since, device_id LIMIT 1',
      );
      if (!range) {
        this.overflowing = false;
        this.logger.log(`Forwarding outbox has room again (${this.describeSize()}); every reading kept out by the bound is queued`);
        break;
      }
      queued += await this.catchUpStep(Number(range.device_id), Number(range.ts_min), Number(range.ts_max));
    }
    await this.recount();
    return queued;
  }

  private async catchUpStep(deviceId: number, tsMin: number, tsMax: number): Promise<number> {
    // Instants of this device in the range, a chunk at a time; then all their values.
    const instants = await this.db.query<{ ts: number | string }>(
      'SELECT DISTINCT ts FROM measurements WHERE device_id = ? AND ts >= ? AND ts <= ? ORDER BY ts LIMIT ?',
      [deviceId, tsMin, tsMax, CATCH_UP_INSTANTS],
    );
    const values = instants.length
      ? await this.db.query<{ metric: string; ts: number | string; value: number }>(
          'SELECT metric, ts, value FROM measurements WHERE device_id = ? AND ts >= ? AND ts <= ? ORDER BY ts, metric',
          [deviceId, tsMin, Number(instants[instants.length - 1].ts)],
        )
      : [];
    const byTs = new Map<number, Record<string, number>>();
    for (const v of values) {
      const ts = Number(v.ts);
      let metrics = byTs.get(ts);
      if (!metrics) byTs.set(ts, (metrics = {}));
      metrics[v.metric] = Number(v.value);
    }
    // As many as fit under the bound (at least one, so that the catch-up always moves on).
    const readings: Array<{ ts: number; json: string }> = [];
    let bytes = 0;
    for (const [ts, metrics] of byTs) {
      const json = JSON.stringify(metrics);
      if (readings.length > 0 && this.bytes + bytes + rowBytes(json) > this.maxBytes) break;
      readings.push({ ts, json });
      bytes += rowBytes(json);
    }
    const done = readings.length === byTs.size && instants.length < CATCH_UP_INSTANTS;
    const last = readings.length ? readings[readings.length - 1].ts : tsMax;
    const now = Date.now();
    await this.db.transaction(async (m) => {
      for (let start = 0; start < readings.length; start += ROWS_PER_STATEMENT) {
        const chunk = readings.slice(start, start + ROWS_PER_STATEMENT);
        const params = chunk.flatMap((r) => [deviceId, r.ts, r.json, now]);
        await m.query(
          this.db.sql(`INSERT INTO forward_outbox (device_id, ts, metrics, created_at) VALUES ${'(?,?,?,?),'.repeat(chunk.length).slice(0, -1)}`),
          params,
        );
      }
      // Compare-and-set: a range widened meanwhile by an ingest is not lost, at worst re-sent in part.
      if (done) {
        const removed = await this.db.execute('DELETE FROM forward_overflow WHERE device_id = ? AND ts_min = ? AND ts_max = ?', [deviceId, tsMin, tsMax], m);
        if (removed === 0)
          await m.query(this.db.sql('UPDATE forward_overflow SET ts_min = ? WHERE device_id = ? AND ts_min = ? AND ts_max > ?'), [
            tsMax + 1,
            deviceId,
            tsMin,
            tsMax,
          ]);
      } else {
        await m.query(this.db.sql('UPDATE forward_overflow SET ts_min = ? WHERE device_id = ? AND ts_min = ?'), [last + 1, deviceId, tsMin]);
      }
    });
    this.bytes += bytes;
    return readings.length;
  }

  /** A device that arrived by forwarding: remember what it is at the sender, for the next hop. */
  async rememberOrigins(devices: Array<{ deviceId: number; deviceType?: string; driver?: string; clientExternalId?: string }>): Promise<void> {
    if (devices.length === 0) return;
    const now = Date.now();
    await this.db.transaction(async (m) => {
      for (const d of devices) {
        await m.query(
          this.db.sql(
            'INSERT INTO forwarded_devices (device_id, origin_device_type, origin_driver, client_external_id, first_seen_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (device_id) DO NOTHING',
          ),
          [d.deviceId, d.deviceType ?? null, d.driver ?? null, d.clientExternalId ?? null, now],
        );
      }
    });
  }
}
