import { METRIC_NAME_PATTERN } from '@pieng/shared';
import { FieldError, InvalidInputError } from '../common/domain-errors';

export const MAX_READINGS_PER_BATCH = 10_000;
export const MAX_METRICS_PER_READING = 200;
export const MAX_FUTURE_MS = 5 * 60_000;
/** Nothing metered predates this; a timestamp before it is a unit mistake (seconds for milliseconds). */
export const EARLIEST_TS = Date.UTC(2000, 0, 1);
const MAX_EXTRA_CHARS = 2048;
const READING_FIELDS = new Set(['deviceId', 'timestamp', 'metrics', 'extra']);

export interface ValidReading {
  deviceId: number;
  ts: number;
  metrics: Record<string, number>;
  extra?: Record<string, unknown>;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function parseTimestamp(raw: unknown, now: number): number | string {
  let ts: number;
  if (typeof raw === 'number') ts = raw;
  else if (typeof raw === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/.test(raw)) ts = Date.parse(raw);
  else return 'must be an ISO-8601 date-time with a zone (e.g. 2026-11-26T12:00:00Z) or epoch milliseconds';
  if (!Number.isInteger(ts)) return Number.isFinite(ts) ? 'must be whole milliseconds' : 'is not a valid date-time';
  if (ts > now + MAX_FUTURE_MS) return 'is more than 5 minutes in the future (check the meter clock or time zone)';
  if (ts < EARLIEST_TS) return 'is before the year 2000 (seconds sent where milliseconds are expected?)';
  return ts;
}

/** Checks a whole ingest body; every problem is reported with its path, and nothing is stored if any exists. */
export function validateIngestBody(body: unknown, now = Date.now()): ValidReading[] {
  const errors: FieldError[] = [];
  const fail = (field: string, message: string) => errors.length < 50 && errors.push({ field, message });
  if (!isObject(body)) throw InvalidInputError.forFields([{ field: 'body', message: 'must be a JSON object {"readings": [...]}' }]);
  for (const key of Object.keys(body)) if (key !== 'readings') fail(key, 'is not a known field');
  const readings = body['readings'];
  if (!Array.isArray(readings)) {
    fail('readings', 'must be an array of readings');
    throw InvalidInputError.forFields(errors);
  }
  if (readings.length === 0) fail('readings', 'must contain at least one reading');
  if (readings.length > MAX_READINGS_PER_BATCH) fail('readings', `must contain at most ${MAX_READINGS_PER_BATCH} readings (split the batch)`);
  if (errors.length) throw InvalidInputError.forFields(errors);

  const out: ValidReading[] = new Array(readings.length);
  for (let i = 0; i < readings.length; i++) {
    const r = readings[i];
    const at = `readings[${i}]`;
    if (!isObject(r)) {
      fail(at, 'must be an object');
      continue;
    }
    for (const key in r) if (!READING_FIELDS.has(key)) fail(`${at}.${key}`, 'is not a known field');
    const deviceId = r['deviceId'];
    if (typeof deviceId !== 'number' || !Number.isInteger(deviceId) || deviceId < 1) fail(`${at}.deviceId`, 'must be a positive integer');
    let ts = now;
    if (r['timestamp'] !== undefined) {
      const parsed = parseTimestamp(r['timestamp'], now);
      if (typeof parsed === 'string') fail(`${at}.timestamp`, parsed);
      else ts = parsed;
    }
    const metrics = r['metrics'];
    if (!isObject(metrics)) fail(`${at}.metrics`, 'must be an object of metric name -> number');
    else {
      let count = 0;
      for (const name in metrics) {
        count++;
        const value = metrics[name];
        if (!METRIC_NAME_PATTERN.test(name)) fail(`${at}.metrics.${name}`, 'is not a valid metric name (letters, digits, _ and ., starting with a letter)');
        // JSON cannot carry NaN or Infinity; they arrive as null or strings and are refused like any non-number.
        else if (typeof value !== 'number' || !Number.isFinite(value)) fail(`${at}.metrics.${name}`, 'must be a finite number');
      }
      if (count === 0) fail(`${at}.metrics`, 'must contain at least one metric');
      if (count > MAX_METRICS_PER_READING) fail(`${at}.metrics`, `must contain at most ${MAX_METRICS_PER_READING} metrics`);
    }
    const extra = r['extra'];
    if (extra !== undefined && (!isObject(extra) || JSON.stringify(extra).length > MAX_EXTRA_CHARS)) fail(`${at}.extra`, `must be an object of at most ${MAX_EXTRA_CHARS} characters as JSON`);
    out[i] = { deviceId: deviceId as number, ts, metrics: metrics as Record<string, number>, ...(extra !== undefined && { extra: extra as Record<string, unknown> }) };
  }
  if (errors.length) throw InvalidInputError.forFields(errors);
  return out;
}
