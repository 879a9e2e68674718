/**
 * Robust scoring of hourly consumption against the same hour of recent days of the same day type
 * (issue 18 part 3): expected = median of the last 4 such hours, z = 0.6745 · (x − median) / MAD
 * (Iglewicz and Hoaglin's modified z-score), |z| > 3.5 is an anomaly.
 */
export const Z_THRESHOLD = 3.5;
export const MAD_SCALE = 0.6745;
/** How many earlier same-type days make the expectation. */
export const HISTORY_DAYS = 4;
/** The MAD is floored at this share of the median: a perfectly regular load would otherwise flag every 0.1 % wobble. */
export const MAD_FLOOR_SHARE = 0.01;

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export interface RobustScore {
  median: number;
  /** The MAD after the floor (1 % of the median or the meter's resolution, whichever is larger). */
  mad: number;
  z: number;
  anomaly: boolean;
}

/** Scores x against its history; resolution is the smallest step the meter reports (kWh), 0 when unknown. */
export function robustScore(history: number[], x: number, resolution = 0): RobustScore {
  const med = median(history);
  const rawMad = median(history.map((v) => Math.abs(v - med)));
  const mad = Math.max(rawMad, MAD_FLOOR_SHARE * Math.abs(med), resolution);
  // A history of zeros and a resolution of 0: nothing to scale by; any consumption is then unexpected.
  const z = mad === 0 ? (x === med ? 0 : Math.sign(x - med) * Infinity) : (MAD_SCALE * (x - med)) / mad;
  return { median: med, mad, z, anomaly: Math.abs(z) > Z_THRESHOLD };
}

/** The band drawn on the energy chart: median ± 3.5 · MAD / 0.6745. */
export const expectedBand = (s: Pick<RobustScore, 'median' | 'mad'>) => {
  const half = (Z_THRESHOLD * s.mad) / MAD_SCALE;
  return { low: s.median - half, high: s.median + half };
};

export type DayType = 'weekday' | 'saturday' | 'sundayOrHoliday';

/** Monday-Friday, Saturday, Sunday and holidays (local date 'YYYY-MM-DD' and weekday 0 = Sunday). */
export function dayType(localDate: string, weekday: number, isHoliday: (date: string) => boolean): DayType {
  if (weekday === 0 || isHoliday(localDate)) return 'sundayOrHoliday';
  return weekday === 6 ? 'saturday' : 'weekday';
}

export interface HourEnergy {
  start: number;
  kWh: number;
  /** Local day number (days since 1970-01-01 in the client's zone), hour of the local day and its day type. */
  day: number;
  hour: number;
  type: DayType;
}

export interface ScoredHour extends RobustScore {
  start: number;
  kWh: number;
  expectedKWh: number;
}

/**
 * Scores each hour at or after `from` against the same local hour of the HISTORY_DAYS latest earlier
 * days of its type that have a value; an hour with fewer than HISTORY_DAYS such days is not scored.
 * `hours` is in time order and starts far enough back (five weeks covers four Sundays and a holiday).
 */
export function scoreHours(hours: HourEnergy[], from: number, resolution = 0): ScoredHour[] {
  // Per (type, hour of day): the values of earlier days, latest last.
  const seen = new Map<string, Array<{ day: number; kWh: number }>>();
  const out: ScoredHour[] = [];
  for (const h of hours) {
    const key = `${h.type}:${h.hour}`;
    let list = seen.get(key);
    if (!list) seen.set(key, (list = []));
    const earlier = list.filter((e) => e.day < h.day).slice(-HISTORY_DAYS);
    if (h.start >= from && earlier.length === HISTORY_DAYS) {
      const s = robustScore(
        earlier.map((e) => e.kWh),
        h.kWh,
        resolution,
      );
      out.push({ start: h.start, kWh: h.kWh, expectedKWh: s.median, ...s });
    }
    list.push({ day: h.day, kWh: h.kWh });
  }
  return out;
}
