import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { METRIC_NAME_PATTERN } from '@pieng/shared';
import { Database, SqlWrite } from '../database/database.service';
import { EnergyQuarters } from '../energy/energy-quarters';
import { addValue, BucketMoments, mergeMoments, momentsOf } from './bucket-moments';

/** The rollup resolutions, finest first: UTC-aligned buckets of 1 minute, 15 minutes and 1 hour. */
export const ROLLUP_RESOLUTIONS = [
  { name: '1m', bucketMs: 60_000 },
  { name: '15m', bucketMs: 900_000 },
  { name: '1h', bucketMs: 3_600_000 },
] as const;
export type RollupResolution = (typeof ROLLUP_RESOLUTIONS)[number]['name'];

/** The values of one reading that were stored (duplicates already left out). */
export interface StoredReading {
  deviceId: number;
  ts: number;
  metrics: Record<string, number>;
}

export interface RollupRow extends BucketMoments {
  deviceId: number;
  metric: string;
  bucketMs: number;
  bucket: number;
}

/** Buckets per upsert statement: 10 bound values each, far below SQLite's 32,766. */
const ROWS_PER_STATEMENT = 500;

/** Pending sums merged per flush transaction, at most. */
const PENDING_PER_FLUSH = 20_000;
const FLUSH_EVERY_MS = 1_000;

const MOMENT_COLUMNS =
  'value_count, value_sum, value_min, value_max, value_mean, value_m2, ts_mean, ts_m2, ts_value_c, first_ts, first_value, last_ts, last_value';

/**
 * Keeps the rollups of every stored value. The transaction that stores readings also stores their
 * 1-minute sums in rollup_pending (a plain insert: cheap on the ingest path); merging those into the
 * 1-minute, 15-minute and hourly rollups happens here, once a second for everything pending and,
 * before a chart or a statistic is read, for that device at once, so that a reading that was answered
 * 2xx is always in what the reader sees, late readings included (a forwarded backlog of last week
 * merges into last week's buckets). Merging is additive (moments), so the order readings come in
 * does not matter. Pending sums are claimed by deleting them in the transaction that merges them,
 * and on PostgreSQL with SKIP LOCKED, so two instances never merge the same sums twice.
 * Measured (bench/ingest.mjs): merging into three resolutions inside every ingest transaction cost
 * a third of the ingest rate; the pending insert costs a few per cent.
 */
@Injectable()
export class RollupStore implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger('Rollups');
  private timer?: NodeJS.Timeout;
  private flushing?: Promise<unknown>;
  /** Energy per quarter, kept from the 1-minute rollups of energy, power and exportEnergy as they are merged. */
  readonly energy: EnergyQuarters;

  constructor(private readonly db: Database) {
    this.energy = new EnergyQuarters(db);
  }

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => {
      this.flushing ??= this.flushIfPending()
        .catch((err: unknown) => this.log.warn(`Merging pending rollups failed, tried again in a second: ${err instanceof Error ? err.message : String(err)}`))
        .finally(() => (this.flushing = undefined));
    }, FLUSH_EVERY_MS);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.flushing;
  }

  /** Adds stored values to the pending sums; call it inside the transaction that stored them. */
  async add(m: EntityManager, readings: StoredReading[]): Promise<void> {
    for (const { sql, params } of this.pendingInserts(readings)) await this.db.execute(sql, params, m);
  }

  /**
   * The INSERTs that add these values to the pending sums, for the caller to run inside the
   * transaction that stores them: the ingest works them out before its transaction's turn (on
   * SQLite every other batch waits while JavaScript runs inside it) and sends them with its other writes.
   */
  pendingInserts(readings: StoredReading[]): SqlWrite[] {
    const rows = summarizeMinutes(readings);
    const statements: SqlWrite[] = [];
    for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) statements.push(insertPendingStatement(rows.slice(i, i + ROWS_PER_STATEMENT)));
    return statements;
  }

  /** Merges what is pending (of one device, or of all) into the rollups; returns how many sums it merged. */
  async flush(deviceId?: number, { wait = false }: { wait?: boolean } = {}): Promise<number> {
    let merged = 0;
    for (;;) {
      const n = await this.db.transaction(async (m) => {
        const rows = await this.claimPending(m, deviceId, wait);
        if (rows.length) {
          await this.merge(m, withCoarser(rows));
          await this.energy.afterMerge(m, rows);
        }
        return rows.length;
      });
      merged += n;
      if (n < PENDING_PER_FLUSH) return merged;
    }
  }

  /**
   * Makes what was stored for the device visible in its rollups (before a chart or a statistic is read).
   * A merge under way holds some of the device's pending sums: the read must wait for it to commit, not
   * skip them (PostgreSQL: this instance's timer merge is awaited, and another instance's by a lock wait).
   */
  async flushDevice(deviceId: number): Promise<void> {
    await this.flushing;
    const [pending] = await this.db.scan('SELECT 1 AS x FROM rollup_pending WHERE device_id = ? LIMIT 1', [deviceId]);
    if (pending) await this.flush(deviceId, { wait: true });
  }

  /** The timer's turn: a read first, so that an idle server opens no write transaction every second. */
  private async flushIfPending(): Promise<void> {
    const [pending] = await this.db.query('SELECT 1 AS x FROM rollup_pending LIMIT 1');
    if (pending) await this.flush();
  }

  /** Drops the pending sums of a range that is being rebuilt from the raw readings, which hold them. */
  async dropPending(m: EntityManager, deviceId: number, metric: string, from: number, until: number): Promise<void> {
    await this.db.execute('DELETE FROM rollup_pending WHERE device_id = ? AND metric = ? AND bucket >= ? AND bucket < ?', [deviceId, metric, from, until], m);
  }

  /** Merges already summed buckets into the stored ones. */
  async merge(m: EntityManager, rows: RollupRow[]): Promise<void> {
    for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) {
      const { sql, params } = upsertStatement(rows.slice(i, i + ROWS_PER_STATEMENT));
      await this.db.execute(sql, params, m);
    }
  }

  /**
   * Deletes and returns the oldest pending sums, merged per bucket (a bucket often has several: one per batch).
   * On PostgreSQL the background merge skips sums another instance is merging; a read's merge (`wait`) waits
   * for that merge to commit instead (the rows it then finds deleted are left out).
   */
  private async claimPending(m: EntityManager, deviceId?: number, wait = false): Promise<RollupRow[]> {
    const where = deviceId === undefined ? '' : `WHERE device_id = ${Math.trunc(deviceId)}`;
    const lock = this.db.kind === 'postgres' ? (wait ? ' FOR UPDATE' : ' FOR UPDATE SKIP LOCKED') : '';
    const pick = `SELECT seq FROM rollup_pending ${where} ORDER BY seq LIMIT ${PENDING_PER_FLUSH}${lock}`;
    const rows = await this.db.deleteReturning<Record<string, number | string>>(
      `DELETE FROM rollup_pending WHERE seq IN (${pick}) RETURNING device_id, metric, bucket, ${MOMENT_COLUMNS}`,
      [],
      m,
    );
    const byBucket = new Map<string, RollupRow>();
    for (const r of rows) {
      const row = pendingRow(r);
      const key = `${row.deviceId}|${row.metric}|${row.bucket}`;
      const into = byBucket.get(key);
      if (into) mergeMoments(into, row);
      else byBucket.set(key, row);
    }
    return [...byBucket.values()];
  }
}

function pendingRow(r: Record<string, number | string>): RollupRow {
  const n = (k: string) => Number(r[k]);
  return {
    deviceId: n('device_id'),
    metric: String(r['metric']),
    bucketMs: 60_000,
    bucket: n('bucket'),
    count: n('value_count'),
    sum: n('value_sum'),
    min: n('value_min'),
    max: n('value_max'),
    mean: n('value_mean'),
    m2: n('value_m2'),
    tsMean: n('ts_mean'),
    tsM2: n('ts_m2'),
    tsValueC: n('ts_value_c'),
    firstTs: n('first_ts'),
    firstValue: n('first_value'),
    lastTs: n('last_ts'),
    lastValue: n('last_value'),
  };
}

/** The 1-minute buckets of a batch's stored values. */
export function summarizeMinutes(readings: StoredReading[]): RollupRow[] {
  const minutes = new Map<string, RollupRow>();
  for (const r of readings) {
    const bucket = r.ts - (r.ts % 60_000);
    for (const metric in r.metrics) {
      const value = r.metrics[metric];
      const key = `${r.deviceId}|${metric}|${bucket}`;
      const row = minutes.get(key);
      if (row) addValue(row, r.ts, value);
      else minutes.set(key, { deviceId: r.deviceId, metric, bucketMs: 60_000, bucket, ...momentsOf(r.ts, value) });
    }
  }
  return [...minutes.values()];
}

/** 1-minute buckets and the 15-minute and hourly buckets merged from them. */
export function withCoarser(minutes: RollupRow[]): RollupRow[] {
  const rows = [...minutes];
  for (const { bucketMs } of ROLLUP_RESOLUTIONS.slice(1)) rows.push(...coarsen(minutes, bucketMs));
  return rows;
}

/** The buckets at every resolution of one metric's values (the rebuild's input: rows read back in time order). */
export function summarizeSeries(deviceId: number, metric: string, values: Array<{ ts: number | string; value: number }>): RollupRow[] {
  const minutes = new Map<number, RollupRow>();
  for (const v of values) {
    const ts = Number(v.ts);
    const value = Number(v.value);
    const bucket = ts - (ts % 60_000);
    const row = minutes.get(bucket);
    if (row) addValue(row, ts, value);
    else minutes.set(bucket, { deviceId, metric, bucketMs: 60_000, bucket, ...momentsOf(ts, value) });
  }
  return withCoarser([...minutes.values()]);
}

/** Buckets of a coarser resolution, merged from finer ones. */
export function coarsen(finer: Iterable<RollupRow>, bucketMs: number): RollupRow[] {
  const out = new Map<string, RollupRow>();
  for (const row of finer) {
    const bucket = row.bucket - (row.bucket % bucketMs);
    const key = `${row.deviceId}|${row.metric}|${bucket}`;
    const into = out.get(key);
    if (into) mergeMoments(into, row);
    else out.set(key, { ...row, bucketMs, bucket });
  }
  return [...out.values()];
}

/** The rows of a multi-row VALUES list: keys and counts written into the text (checked here), floating-point values bound. */
function valueRows(rows: RollupRow[], withBucketMs: boolean): { values: string; params: number[] } {
  const params: number[] = [];
  const values: string[] = [];
  for (const r of rows) {
    if (!METRIC_NAME_PATTERN.test(r.metric)) throw new Error(`metric name ${JSON.stringify(r.metric)} is not valid`);
    for (const n of [r.deviceId, r.bucketMs, r.bucket, r.count, r.firstTs, r.lastTs])
      if (!Number.isSafeInteger(n)) throw new Error(`rollup bucket of device ${r.deviceId} has a non-integer key ${n}`);
    values.push(`(${r.deviceId},'${r.metric}',${withBucketMs ? `${r.bucketMs},` : ''}${r.bucket},${r.count},?,?,?,?,?,?,?,?,${r.firstTs},?,${r.lastTs},?)`);
    params.push(r.sum, r.min, r.max, r.mean, r.m2, r.tsMean, r.tsM2, r.tsValueC, r.firstValue, r.lastValue);
  }
  return { values: values.join(','), params };
}

function insertPendingStatement(rows: RollupRow[]): { sql: string; params: number[] } {
  const { values, params } = valueRows(rows, false);
  return { sql: `INSERT INTO rollup_pending (device_id, metric, bucket, ${MOMENT_COLUMNS}) VALUES ${values}`, params };
}

/**
 * One multi-row upsert that merges each bucket into the stored one with the same formulas as
 * mergeMoments (both engines evaluate every SET expression on the row as it was). Integers and the
 * metric name are written into the SQL text (checked here, as the ingest's own insert does), the
 * floating-point values are bound.
 */
function upsertStatement(rows: RollupRow[]): { sql: string; params: number[] } {
  const { values, params } = valueRows(rows, true);
  const old = 'rollups';
  const n = `(${old}.value_count + excluded.value_count)`;
  const delta = `(excluded.value_mean - ${old}.value_mean)`;
  const deltaT = `(excluded.ts_mean - ${old}.ts_mean)`;
  // 1.0 first: a product of two integer counts would divide as integers (and overflow on PostgreSQL).
  const weight = `(1.0 * ${old}.value_count * excluded.value_count / ${n})`;
  const sql = `INSERT INTO rollups (device_id, metric, bucket_ms, bucket, ${MOMENT_COLUMNS})
    VALUES ${values}
    ON CONFLICT (device_id, metric, bucket_ms, bucket) DO UPDATE SET
      value_count = ${n},
      value_sum = ${old}.value_sum + excluded.value_sum,
      value_min = CASE WHEN excluded.value_min < ${old}.value_min THEN excluded.value_min ELSE ${old}.value_min END,
      value_max = CASE WHEN excluded.value_max > ${old}.value_max THEN excluded.value_max ELSE ${old}.value_max END,
      value_mean = ${old}.value_mean + ${delta} * excluded.value_count / ${n},
      value_m2 = ${old}.value_m2 + excluded.value_m2 + ${delta} * ${delta} * ${weight},
      ts_mean = ${old}.ts_mean + ${deltaT} * excluded.value_count / ${n},
      ts_m2 = ${old}.ts_m2 + excluded.ts_m2 + ${deltaT} * ${deltaT} * ${weight},
      ts_value_c = ${old}.ts_value_c + excluded.ts_value_c + ${deltaT} * ${delta} * ${weight},
      first_ts = CASE WHEN excluded.first_ts < ${old}.first_ts THEN excluded.first_ts ELSE ${old}.first_ts END,
      first_value = CASE WHEN excluded.first_ts < ${old}.first_ts THEN excluded.first_value ELSE ${old}.first_value END,
      last_ts = CASE WHEN excluded.last_ts > ${old}.last_ts THEN excluded.last_ts ELSE ${old}.last_ts END,
      last_value = CASE WHEN excluded.last_ts > ${old}.last_ts THEN excluded.last_value ELSE ${old}.last_value END`;
  return { sql, params };
}
