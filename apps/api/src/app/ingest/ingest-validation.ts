import { METRIC_NAME_PATTERN } from '@pieng/shared';
import { FieldError, InvalidInputError } from '../common/domain-errors';
import { MAX_ROW_ID } from '../common/id-param';
import { parseIsoDateTime } from '../common/timestamps';

export const MAX_READINGS_PER_BATCH = 10_000;
export const MAX_METRICS_PER_READING = 200;
export const MAX_FUTURE_MS = 5 * 60_000;
/** Nothing metered predates this; a timestamp before it is a unit mistake (seconds for milliseconds). */
export const EARLIEST_TS = Date.UTC(2000, 0, 1);
const MAX_EXTRA_CHARS = 2048;
const READING_FIELDS = new Set(['deviceId', 'deviceUid', 'timestamp', 'metrics', 'extra']);
const BODY_FIELDS = new Set(['readings', 'devices', 'source']);
const DEVICE_FIELDS = new Set(['uid', 'name', 'deviceType', 'driver', 'clientExternalId']);
const UID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,35}$/;
export const INGEST_SOURCES = ['api', 'forward'] as const;

export interface ValidReading {
  deviceId: number;
  ts: number;
  metrics: Record<string, number>;
  extra?: Record<string, unknown>;
}

/** A device as another instance describes it, so that this one can create it on first sight. */
export interface DeviceDescriptor {
  uid: string;
  name: string;
  deviceType?: string;
  driver?: string;
  clientExternalId?: string;
}

/** A reading names its device by id (this instance's) or by uid (stable across instances). */
export type IngestReading = ValidReading & { deviceUid?: string };

export interface IngestRequest {
  /** Readings by uid carry deviceId 0 until the uids are resolved. */
  readings: IngestReading[];
  devices: Map<string, DeviceDescriptor>;
  source: (typeof INGEST_SOURCES)[number];
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function parseTimestamp(raw: unknown, now: number): number | string {
  let ts: number;
  if (typeof raw === 'number') ts = raw;
  else if (typeof raw === 'string') {
    const parsed = parseIsoDateTime(raw, { allowDateOnly: false });
    if ('error' in parsed) return /^must be/.test(parsed.error) ? `${parsed.error} or epoch milliseconds` : parsed.error;
    ts = parsed.ms;
  } else return 'must be an ISO-8601 date-time with a zone (e.g. 2026-11-26T12:00:00Z) or epoch milliseconds';
  if (!Number.isInteger(ts)) return Number.isFinite(ts) ? 'must be whole milliseconds' : 'is not a valid date-time';
  if (ts > now + MAX_FUTURE_MS) return 'is more than 5 minutes in the future (check the meter clock or time zone)';
  if (ts < EARLIEST_TS) return 'is before the year 2000 (seconds sent where milliseconds are expected?)';
  return ts;
}

const optionalString = (v: unknown, max: number) => v === undefined || (typeof v === 'string' && v.length >= 1 && v.length <= max);

/** Checks a whole ingest body; every problem is reported with its path, and nothing is stored if any exists. */
export function validateIngestBody(body: unknown, now = Date.now()): IngestRequest {
  const errors: FieldError[] = [];
  const fail = (field: string, message: string) => errors.length < 50 && errors.push({ field, message });
  if (!isObject(body)) throw InvalidInputError.forFields([{ field: 'body', message: 'must be a JSON object {"readings": [...]}' }]);
  for (const key of Object.keys(body)) if (!BODY_FIELDS.has(key)) fail(key, 'is not a known field');
  const source = body['source'] ?? 'api';
  if (!INGEST_SOURCES.includes(source as IngestRequest['source'])) fail('source', `must be one of ${INGEST_SOURCES.join(', ')}`);
  const devices = new Map<string, DeviceDescriptor>();
  const rawDevices = body['devices'] ?? [];
  if (!Array.isArray(rawDevices) || rawDevices.length > MAX_READINGS_PER_BATCH)
    fail('devices', `must be an array of at most ${MAX_READINGS_PER_BATCH} devices`);
  else {
    rawDevices.forEach((d: unknown, i: number) => {
      const at = `devices[${i}]`;
      if (!isObject(d)) return fail(at, 'must be an object');
      for (const key in d) if (!DEVICE_FIELDS.has(key)) fail(`${at}.${key}`, 'is not a known field');
      if (typeof d['uid'] !== 'string' || !UID_PATTERN.test(d['uid'])) return fail(`${at}.uid`, 'must be a device uid (1-36 letters, digits, _ . : -)');
      if (typeof d['name'] !== 'string' || d['name'].trim().length === 0 || d['name'].length > 200)
        return fail(`${at}.name`, 'must be a name of 1-200 characters');
      if (!optionalString(d['deviceType'], 20)) return fail(`${at}.deviceType`, 'must be a string of at most 20 characters');
      if (!optionalString(d['driver'], 40)) return fail(`${at}.driver`, 'must be a string of at most 40 characters');
      if (!optionalString(d['clientExternalId'], 200)) return fail(`${at}.clientExternalId`, 'must be a string of at most 200 characters');
      devices.set(d['uid'], d as unknown as DeviceDescriptor);
    });
  }
  const readings = body['readings'];
  if (!Array.isArray(readings)) {
    fail('readings', 'must be an array of readings');
    throw InvalidInputError.forFields(errors);
  }
  if (readings.length === 0) fail('readings', 'must contain at least one reading');
  if (readings.length > MAX_READINGS_PER_BATCH) fail('readings', `must contain at most ${MAX_READINGS_PER_BATCH} readings (split the batch)`);
  if (errors.length) throw InvalidInputError.forFields(errors);

  const out: IngestReading[] = new Array(readings.length);
  for (let i = 0; i < readings.length; i++) {
    const r = readings[i];
    const at = `readings[${i}]`;
    if (!isObject(r)) {
      fail(at, 'must be an object');
      continue;
    }
    for (const key in r) if (!READING_FIELDS.has(key)) fail(`${at}.${key}`, 'is not a known field');
    const deviceId = r['deviceId'];
    const deviceUid = r['deviceUid'];
    if (deviceUid !== undefined) {
      if (deviceId !== undefined) fail(`${at}.deviceUid`, 'give deviceId or deviceUid, not both');
      else if (typeof deviceUid !== 'string' || !UID_PATTERN.test(deviceUid)) fail(`${at}.deviceUid`, 'must be a device uid (1-36 letters, digits, _ . : -)');
    } else if (typeof deviceId !== 'number' || !Number.isInteger(deviceId) || deviceId < 1 || deviceId > MAX_ROW_ID)
      fail(`${at}.deviceId`, `must be a device id (1 to ${MAX_ROW_ID})`);
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
    if (extra !== undefined && (!isObject(extra) || JSON.stringify(extra).length > MAX_EXTRA_CHARS))
      fail(`${at}.extra`, `must be an object of at most ${MAX_EXTRA_CHARS} characters as JSON`);
    out[i] = {
      deviceId: deviceUid !== undefined ? 0 : (deviceId as number),
      ts,
      metrics: metrics as Record<string, number>,
      ...(extra !== undefined && { extra: extra as Record<string, unknown> }),
      ...(deviceUid !== undefined && { deviceUid: deviceUid as string }),
    };
  }
  if (errors.length) throw InvalidInputError.forFields(errors);
  return { readings: out, devices, source: source as IngestRequest['source'] };
}
