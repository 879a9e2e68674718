import type { Database } from '../database/database.service';

/** Values per page and metric: a page is one short read, and a handful of them in memory at once. */
export const PAGE_SIZE = 2_000;

export interface MetricValue {
  ts: number;
  value: number;
  min?: number;
  max?: number;
  /** Raw values only. */
  source?: string;
}

/** Raw values or one rollup's buckets of one device. */
export interface ValueTable {
  deviceId: number;
  /** null: raw readings; else the rollup's bucket width. */
  bucketMs: number | null;
  /** [from, until) */
  from: number;
  until: number;
}

/**
 * One metric's values in time order, page by page by key (keyset pagination: `ts > last` on the primary
 * key (device_id, metric, ts), so every page is an index range read, none gets slower as the export
 * goes on). Each page is a scan() on the read connections: it holds no connection between pages, never
 * makes a write wait, and the next page is read only when the consumer asks for it.
 */
export async function* metricValues(db: Database, t: ValueTable, metric: string, pageSize = PAGE_SIZE): AsyncGenerator<MetricValue> {
  let after = t.from - 1;
  for (;;) {
    const rows =
      t.bucketMs === null
        ? await db.scan<{ ts: number | string; value: number; source: string }>(
            'SELECT ts, value, source FROM measurements WHERE device_id = ? AND metric = ? AND ts > ? AND ts < ? ORDER BY ts LIMIT ?',
            [t.deviceId, metric, after, t.until, pageSize],
          )
        : // The mean as sum / count, as the chart series gives it (the running mean drifts in the last digits).
          await db.scan<{ ts: number | string; value: number; min: number; max: number }>(
            `SELECT bucket AS ts, value_sum AS s, value_count AS n, value_min AS min, value_max AS max FROM rollups
             WHERE device_id = ? AND metric = ? AND bucket_ms = ${Math.trunc(t.bucketMs)} AND bucket > ? AND bucket < ? ORDER BY bucket LIMIT ?`,
            [t.deviceId, metric, after, t.until, pageSize],
          );
    for (const r of rows) {
      const row = r as { ts: number | string; value?: number; s?: number; n?: number | string; source?: string; min?: number; max?: number };
      yield { ts: Number(row.ts), value: row.value === undefined ? Number(row.s) / Number(row.n) : Number(row.value), source: row.source, min: row.min === undefined ? undefined : Number(row.min), max: row.max === undefined ? undefined : Number(row.max) };
    }
    if (rows.length < pageSize) return;
    after = Number(rows[rows.length - 1].ts);
  }
}

/** One instant (a reading's timestamp or a bucket's start) and each metric's value there (undefined where absent). */
export interface JoinedRow {
  ts: number;
  values: Array<MetricValue | undefined>;
}

/** The metrics' values joined by instant (each stream is in time order): one row per instant, in time order. */
export async function* joinByInstant(streams: AsyncIterator<MetricValue>[]): AsyncGenerator<JoinedRow> {
  const heads: Array<MetricValue | undefined> = await Promise.all(streams.map(async (s) => (await s.next()).value ?? undefined));
  for (;;) {
    let ts = Infinity;
    for (const h of heads) if (h && h.ts < ts) ts = h.ts;
    if (ts === Infinity) return;
    const values: Array<MetricValue | undefined> = [];
    for (let i = 0; i < heads.length; i++) {
      const h = heads[i];
      if (h && h.ts === ts) {
        values.push(h);
        heads[i] = (await streams[i].next()).value ?? undefined;
      } else values.push(undefined);
    }
    yield { ts, values };
  }
}

/**
 * The sources of the raw readings in each bucket of [from, until), for the rollup rows of a page:
 * one read per page of rows (a DISTINCT over the key range), not one per row.
 */
export async function bucketSources(db: Database, deviceId: number, metrics: string[], bucketMs: number, from: number, until: number): Promise<Map<number, string[]>> {
  const width = Math.trunc(bucketMs);
  const rows = await db.scan<{ b: number | string; source: string }>(
    `SELECT DISTINCT ts - ts % ${width} AS b, source FROM measurements WHERE device_id = ? AND metric IN (${metrics.map(() => '?').join(',')}) AND ts >= ? AND ts < ?`,
    [deviceId, ...metrics, from, until],
  );
  const out = new Map<number, string[]>();
  for (const r of rows) {
    const b = Number(r.b);
    const list = out.get(b) ?? [];
    list.push(r.source);
    out.set(b, list);
  }
  for (const list of out.values()) list.sort();
  return out;
}
