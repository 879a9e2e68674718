import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { METRIC_NAME_PATTERN } from '@pieng/shared';
import { Database } from '../database/database.service';
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

/**
 * Keeps the rollups of every stored value, inside the transaction that stores it, so a reading that
 * was answered 2xx is already in the rollups: a chart or a summary never waits for a background job
 * and never misses a late reading (a forwarded backlog of last week merges into last week's buckets).
 * The batch is first summed up here (one bucket per device, metric and minute; the 15-minute and
 * hourly buckets from those), then merged into the stored buckets by one upsert per 500 buckets.
 * Measured (bench/ingest.mjs): that costs a few per cent of the ingest rate, where upserting each
 * value into three tables halves it.
 */
@Injectable()
export class RollupStore {
  constructor(private readonly db: Database) {}

  /** Adds stored values to their buckets; call it inside the transaction that stored them. */
  add(m: EntityManager, readings: StoredReading[]): Promise<void> {
    return this.merge(m, summarize(readings));
  }

  /** Merges already summed buckets into the stored ones (the rebuild's write). */
  async merge(m: EntityManager, rows: RollupRow[]): Promise<void> {
    for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) {
      const { sql, params } = upsertStatement(rows.slice(i, i + ROWS_PER_STATEMENT));
      await this.db.execute(sql, params, m);
    }
  }
}

/** The batch's buckets at every resolution: one per device, metric and minute, then 15 minutes and hours merged from those. */
export function summarize(readings: StoredReading[]): RollupRow[] {
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
  const rows = [...minutes.values()];
  for (const { bucketMs } of ROLLUP_RESOLUTIONS.slice(1)) rows.push(...coarsen(minutes.values(), bucketMs));
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
  const rows = [...minutes.values()];
  for (const { bucketMs } of ROLLUP_RESOLUTIONS.slice(1)) rows.push(...coarsen(minutes.values(), bucketMs));
  return rows;
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

/**
 * One multi-row upsert that merges each bucket into the stored one with the same formulas as
 * mergeMoments (both engines evaluate every SET expression on the row as it was). Integers and the
 * metric name are written into the SQL text (checked here, as the ingest's own insert does), the
 * floating-point values are bound.
 */
function upsertStatement(rows: RollupRow[]): { sql: string; params: number[] } {
  const params: number[] = [];
  const values: string[] = [];
  for (const r of rows) {
    if (!METRIC_NAME_PATTERN.test(r.metric)) throw new Error(`metric name ${JSON.stringify(r.metric)} is not valid`);
    for (const n of [r.deviceId, r.bucketMs, r.bucket, r.count, r.firstTs, r.lastTs]) if (!Number.isSafeInteger(n)) throw new Error(`rollup bucket of device ${r.deviceId} has a non-integer key ${n}`);
    values.push(`(${r.deviceId},'${r.metric}',${r.bucketMs},${r.bucket},${r.count},?,?,?,?,?,?,?,?,${r.firstTs},?,${r.lastTs},?)`);
    params.push(r.sum, r.min, r.max, r.mean, r.m2, r.tsMean, r.tsM2, r.tsValueC, r.firstValue, r.lastValue);
  }
  const old = 'rollups';
  const n = `(${old}.value_count + excluded.value_count)`;
  const delta = `(excluded.value_mean - ${old}.value_mean)`;
  const deltaT = `(excluded.ts_mean - ${old}.ts_mean)`;
  // 1.0 first: a product of two integer counts would divide as integers (and overflow on PostgreSQL).
  const weight = `(1.0 * ${old}.value_count * excluded.value_count / ${n})`;
  const sql = `INSERT INTO rollups (device_id, metric, bucket_ms, bucket, value_count, value_sum, value_min, value_max, value_mean, value_m2, ts_mean, ts_m2, ts_value_c, first_ts, first_value, last_ts, last_value)
    VALUES ${values.join(',')}
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
