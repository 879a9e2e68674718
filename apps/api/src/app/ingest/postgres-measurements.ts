import type { EntityManager } from 'typeorm';
import { METRIC_NAME_PATTERN, READING_SOURCES, type ReadingSource } from '@pieng/shared';
import type { Database } from '../database/database.service';
import type { ValidReading } from './ingest-validation';

/**
 * Values per statement on PostgreSQL. One statement carries a whole HTTP batch (500 values) and most
 * forwarded ones; the cap bounds the size of one message (about 25 bytes per value).
 */
export const PG_VALUES_PER_STATEMENT = 5000;

/**
 * Stores the values on PostgreSQL with one `INSERT … SELECT FROM unnest(…) ON CONFLICT DO NOTHING` per
 * PG_VALUES_PER_STATEMENT values. Returns undefined when every value was stored (nearly always), else
 * the keys (`key`) of the values stored: those whose device, metric and instant were already there are
 * left out (duplicates, kept once). Why this shape (bench/ingest-pg.mjs; the CPU of the server's backend per
 * statement, measured apart):
 * - four array parameters instead of 500-row VALUES lists: the server parses and plans one short
 *   statement instead of a 2,500-token one (backend CPU per 500 values: about 3.5 ms against 10.5 ms);
 * - the arrays are written as PostgreSQL array text here, in one pass, rather than handed to the
 *   driver as JavaScript arrays that it would walk and quote value by value;
 * - nothing comes back: the statement's row count says whether every value went in. Returning the
 *   stored keys (RETURNING) or the skipped ones (an anti-join against RETURNING) cost the server
 *   another 0.5 ms or 1.3 ms per 500 values, for an answer that is "all of them" nearly always;
 * - only when the count falls short (a retried batch) are the stored values looked up: they are the
 *   rows of these keys that this transaction wrote (xmin, the transaction id of the row's writer).
 * A batch never names the same device, metric and instant twice (the caller merges them), so a
 * skipped value is one that another transaction stored.
 */
export async function insertNewOnPostgres(
  db: Database,
  m: EntityManager,
  readings: ValidReading[],
  source: ReadingSource,
  key: (deviceId: number, metric: string, ts: number) => string,
): Promise<Set<string> | undefined> {
  const chunks = unnestChunks(readings, source);
  const short: UnnestChunk[] = [];
  let inserted = 0;
  for (const chunk of chunks) {
    const count = await db.execute(INSERT_UNNEST, chunk.params, m);
    inserted += count;
    if (count < chunk.values.length) short.push(chunk);
  }
  if (short.length === 0) return undefined;
  const stored = new Set<string>();
  for (const chunk of chunks) {
    if (!short.includes(chunk)) {
      for (const v of chunk.values) stored.add(key(v.deviceId, v.metric, v.ts));
      continue;
    }
    const rows = await db.query<{ n: string | number }>(WRITTEN_HERE, chunk.params.slice(1, 4), m);
    for (const row of rows) {
      const v = chunk.values[Number(row.n) - 1];
      stored.add(key(v.deviceId, v.metric, v.ts));
    }
  }
  // A row of another transaction taken for this one's (it would have to be run in a savepoint, whose
  // rows carry the savepoint's id) would count a duplicate as stored: refuse the batch instead.
  if (stored.size !== inserted) throw new Error(`stored ${inserted} values but found ${stored.size} of them written by this transaction`);
  return stored;
}

const INSERT_UNNEST = `INSERT INTO measurements (device_id, metric, ts, value, source)
SELECT device_id, metric, ts, value, ? FROM unnest(?::int[], ?::text[], ?::bigint[], ?::float8[]) AS v(device_id, metric, ts, value) ON CONFLICT DO NOTHING`;

/** The positions (1-based) of the chunk's values whose row this transaction wrote. */
const WRITTEN_HERE = `SELECT k.n FROM unnest(?::int[], ?::text[], ?::bigint[]) WITH ORDINALITY AS k(device_id, metric, ts, n)
JOIN measurements x ON x.device_id = k.device_id AND x.metric = k.metric AND x.ts = k.ts
WHERE x.xmin = pg_current_xact_id()::xid`;

interface UnnestChunk {
  /** The source, then device ids, metric names, instants and values as PostgreSQL array text. */
  params: [string, string, string, string, string];
  /** Each value's device, metric and instant, in array order. */
  values: Array<{ deviceId: number; metric: string; ts: number }>;
}

/**
 * The statements' parameters, the values in key order (device, metric, instant). Two batches that
 * overlap then wait for each other's keys in the same order, never each for the other's (a
 * deadlock), and a statement adds each metric's values to its place in the key's index one after
 * the other instead of jumping between metrics (straight through the driver, four batches at once:
 * 5.5-6.1 against 6.3-7.2 ms of the server's CPU per 500 values in two runs; through the API the
 * difference was lost in the noise of a shared machine). Ids and instants are checked to be
 * integers and metric names against the metric name pattern (letters, digits, `_`, `.`) before
 * they become array text; names are quoted all the same, since an unquoted NULL (a valid metric
 * name) would be read as a null. Values are written as JavaScript's shortest text that reads back
 * to the same double, which PostgreSQL reads back exactly (float8in rounds correctly); -0 keeps its sign.
 */
export function unnestChunks(readings: ValidReading[], source: ReadingSource): UnnestChunk[] {
  if (!READING_SOURCES.includes(source)) throw new Error(`unknown reading source ${JSON.stringify(source)}`);
  const all: Array<{ deviceId: number; metric: string; ts: number; value: number }> = [];
  for (const r of readings) {
    if (!Number.isSafeInteger(r.deviceId) || !Number.isSafeInteger(r.ts))
      throw new Error(`reading of device ${r.deviceId} at ${r.ts} has a non-integer id or timestamp`);
    for (const metric in r.metrics) {
      if (!METRIC_NAME_PATTERN.test(metric)) throw new Error(`metric name ${JSON.stringify(metric)} is not valid`);
      const value = r.metrics[metric];
      if (!Number.isFinite(value)) throw new Error(`value of ${metric} of device ${r.deviceId} at ${r.ts} is not a finite number`);
      all.push({ deviceId: r.deviceId, metric, ts: r.ts, value });
    }
  }
  all.sort((a, b) => a.deviceId - b.deviceId || (a.metric < b.metric ? -1 : a.metric > b.metric ? 1 : a.ts - b.ts));
  const out: UnnestChunk[] = [];
  for (let start = 0; start < all.length; start += PG_VALUES_PER_STATEMENT) {
    const chunk = all.slice(start, start + PG_VALUES_PER_STATEMENT);
    let ids = '';
    let metrics = '';
    let instants = '';
    let values = '';
    for (let i = 0; i < chunk.length; i++) {
      const v = chunk[i];
      const sep = i === 0 ? '' : ',';
      ids += sep + v.deviceId;
      metrics += `${sep}"${v.metric}"`;
      instants += sep + v.ts;
      values += sep + (Object.is(v.value, -0) ? '-0' : String(v.value));
    }
    out.push({ params: [source, `{${ids}}`, `{${metrics}}`, `{${instants}}`, `{${values}}`], values: chunk });
  }
  return out;
}
