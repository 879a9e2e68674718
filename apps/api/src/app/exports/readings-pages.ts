import type { Database } from '../database/database.service';

/**
 * Values per page and metric. Small on purpose: a page's objects then die young (V8's scavenger frees
 * them) instead of being promoted and piling up until a full collection. Measured on 600,000 values:
 * pages of 2,000 grew the heap by 163 MB (and took 17 s), pages of 500 by 16 MB (6.4 s).
 */
export const PAGE_SIZE = 500;

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
export async function* metricPages(db: Database, t: ValueTable, metric: string, pageSize = PAGE_SIZE): AsyncGenerator<MetricValue[]> {
  const read = async (after: number): Promise<MetricValue[]> => {
    const rows =
      t.bucketMs === null
        ? await db.scan<{ ts: number | string; value: number; source: string }>(
            'SELECT ts, value, source FROM measurements WHERE device_id = ? AND metric = ? AND ts > ? AND ts < ? ORDER BY ts LIMIT ?',
            [t.deviceId, metric, after, t.until, pageSize],
          )
        : // The mean as sum / count, as the chart series gives it (the running mean drifts in the last digits).
          await db.scan<{ ts: number | string; s: number; n: number | string; min: number; max: number }>(
            `SELECT bucket AS ts, value_sum AS s, value_count AS n, value_min AS min, value_max AS max FROM rollups
             WHERE device_id = ? AND metric = ? AND bucket_ms = ${Math.trunc(t.bucketMs)} AND bucket > ? AND bucket < ? ORDER BY bucket LIMIT ?`,
            [t.deviceId, metric, after, t.until, pageSize],
          );
    return rows.map((r) => {
      const row = r as { ts: number | string; value?: number; s?: number; n?: number | string; source?: string; min?: number; max?: number };
      return row.value !== undefined
        ? { ts: Number(row.ts), value: Number(row.value), source: row.source }
        : { ts: Number(row.ts), value: Number(row.s) / Number(row.n), min: Number(row.min), max: Number(row.max) };
    });
  };
  // One read at a time per export: a page ahead per metric would hold both SQLite read connections, and
  // other clients' charts would wait behind an export.
  let after = t.from - 1;
  for (;;) {
    const page = await read(after);
    if (page.length) yield page;
    if (page.length < pageSize) return;
    after = page[page.length - 1].ts;
  }
}

/** One instant (a reading's timestamp or a bucket's start) and each metric's value there (undefined where absent). */
export interface JoinedRow {
  ts: number;
  values: Array<MetricValue | undefined>;
}

/**
 * The metrics' pages joined by instant (each stream is in time order): rows in time order, one per
 * instant, handed on in batches of up to `batch` (a row at a time would cost a promise per value).
 */
export async function* joinByInstant(streams: AsyncIterator<MetricValue[]>[], batch = PAGE_SIZE): AsyncGenerator<JoinedRow[]> {
  const pages: Array<MetricValue[] | null> = streams.map(() => []);
  const at = streams.map(() => 0);
  /** Makes sure stream i has a value at its index, or is done (null). */
  const refill = async (i: number) => {
    while (pages[i] !== null && at[i] >= pages[i]!.length) {
      const next = await streams[i].next();
      pages[i] = next.done ? null : next.value;
      at[i] = 0;
    }
  };
  let out: JoinedRow[] = [];
  for (;;) {
    for (let i = 0; i < streams.length; i++) if (pages[i] !== null && at[i] >= pages[i]!.length) await refill(i);
    let ts = Infinity;
    for (let i = 0; i < streams.length; i++) {
      const page = pages[i];
      if (page !== null && page[at[i]].ts < ts) ts = page[at[i]].ts;
    }
    if (ts === Infinity) break;
    const values: Array<MetricValue | undefined> = [];
    for (let i = 0; i < streams.length; i++) {
      const page = pages[i];
      if (page !== null && page[at[i]].ts === ts) values.push(page[at[i]++]);
      else values.push(undefined);
    }
    out.push({ ts, values });
    if (out.length === batch) {
      yield out;
      out = [];
    }
  }
  if (out.length) yield out;
}

/**
 * The sources of the raw readings in each bucket of [from, until), for the rollup rows of a page:
 * one read per page of rows (a DISTINCT over the key range), not one per row.
 */
export async function bucketSources(
  db: Database,
  deviceId: number,
  metrics: string[],
  bucketMs: number,
  from: number,
  until: number,
): Promise<Map<number, string[]>> {
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
