import { alignDown, DAY_MS } from '../common/time-zones';
import type { RetentionDays } from '../config/app-config';

/** The resolutions a plant stores: raw readings and the three rollups (their bucket_ms, as in ROLLUP_RESOLUTIONS), with their retention settings. */
export const RESOLUTIONS = [
  { resolution: 'raw', bucketMs: null, setting: 'raw', column: 'retention_raw_days' },
  { resolution: '1m', bucketMs: 60_000, setting: 'oneMinute', column: 'retention_1m_days' },
  { resolution: '15m', bucketMs: 900_000, setting: 'fifteenMinutes', column: 'retention_15m_days' },
  { resolution: '1h', bucketMs: 3_600_000, setting: 'oneHour', column: 'retention_1h_days' },
] as const;

export type Resolution = (typeof RESOLUTIONS)[number]['resolution'];

/** The start of the UTC day that holds the instant. */
export const startOfUtcDay = (ms: number) => alignDown(ms, DAY_MS);

/** A client's own figures (null: the platform's) as the clients table keeps them. */
export interface ClientRetentionRow {
  id: number;
  retention_raw_days: number | null;
  retention_1m_days: number | null;
  retention_15m_days: number | null;
  retention_1h_days: number | null;
}

/** Days a resolution of the client's data is kept (null: forever): the client's own figure, else the platform's. */
export function retentionDaysFor(resolution: Resolution, platform: RetentionDays, client?: ClientRetentionRow): number | null {
  const r = RESOLUTIONS.find((x) => x.resolution === resolution) as (typeof RESOLUTIONS)[number];
  const own = client?.[r.column];
  return own !== null && own !== undefined ? Number(own) : platform[r.setting];
}

/**
 * The instant before which rows of a resolution go: midnight UTC `days` days before the day of
 * `now` (so that everything from that midnight on stays: between `days` and `days + 1` days), or
 * null when kept forever. A whole UTC day goes at once, so no rollup bucket (at most an hour,
 * UTC-aligned) is ever split.
 */
export function retentionCut(now: number, days: number | null): number | null {
  return days === null ? null : startOfUtcDay(now) - days * DAY_MS;
}

/**
 * The raw cut of a device whose oldest reading not yet confirmed by the slave is `unconfirmedFrom`
 * (null: none): that reading's day and everything after it stay, so that the forwarder (or its
 * catch-up from the measurements table) still finds them.
 */
export function holdBackForForwarding(cut: number, unconfirmedFrom: number | null): number {
  return unconfirmedFrom === null ? cut : Math.min(cut, startOfUtcDay(unconfirmedFrom));
}
