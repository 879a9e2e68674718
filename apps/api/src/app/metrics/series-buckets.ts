/**
 * Chart buckets: clock-friendly widths, aligned so that a reading at 12:00:00 is drawn at 12:00,
 * never at 11:57:07. Widths below a day are aligned to UTC (every time zone in use is a whole
 * number of 15 minutes from UTC, so they are aligned to the local clock too, down to 15 minutes);
 * days start at midnight in the client's time zone, and so follow its daylight-saving changes.
 */
import { alignDown, DAY_MS, localDayIndex, localDayStarts } from '../common/time-zones';

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

/** The widths a chart may use, below a day. */
export const SUB_DAY_STEPS_MS = [
  SECOND,
  5 * SECOND,
  10 * SECOND,
  30 * SECOND,
  MINUTE,
  5 * MINUTE,
  15 * MINUTE,
  30 * MINUTE,
  HOUR,
  3 * HOUR,
  6 * HOUR,
  12 * HOUR,
];

/** A chart's bucket width: a fixed number of milliseconds, or a number of the client's days. */
export type SeriesStep = { kind: 'fixed'; ms: number } | { kind: 'days'; days: number; timeZone: string };

/**
 * The smallest step of at least `minMs` that gives at most `points` buckets over [from, to]. Past
 * 12 hours the step is one day, or as many whole days as keep the count within `points` (a
 * ten-year range in 500 points).
 */
export function chooseStep(from: number, to: number, points: number, timeZone: string, minMs = 0): SeriesStep {
  for (const ms of SUB_DAY_STEPS_MS) {
    if (ms >= minMs && Math.floor(to / ms) - Math.floor(from / ms) + 1 <= points) return { kind: 'fixed', ms };
  }
  const days = localDayStarts(from, to, timeZone).length;
  return { kind: 'days', days: Math.max(1, Math.ceil(days / points)), timeZone };
}

/** The nominal width of a step, for the answer's bucketMs and for picking a rollup resolution. */
export const stepMs = (step: SeriesStep) => (step.kind === 'fixed' ? step.ms : step.days * DAY_MS);

/**
 * The bucket starts of a step over [from, to], from the one that holds `from`: for a fixed step
 * every multiple of its width; for days, every local midnight (grouped `days` at a time, counted from
 * 1970-01-01 local so the grouping does not depend on the range asked for).
 */
export function bucketStarts(step: SeriesStep, from: number, to: number): number[] {
  if (step.kind === 'fixed') {
    const out: number[] = [];
    for (let t = alignDown(from, step.ms); t <= to; t += step.ms) out.push(t);
    return out;
  }
  const starts = localDayStarts(from, to, step.timeZone);
  if (step.days === 1) return starts;
  // Extend back to the first day of the group that holds `from`.
  const first = starts[0];
  const firstIndex = localDayIndex(first, step.timeZone);
  const back = ((firstIndex % step.days) + step.days) % step.days;
  const earlier = back ? localDayStarts(first - back * DAY_MS - 2 * HOUR, first - 1, step.timeZone).slice(-back) : [];
  const all = [...earlier, ...starts];
  return all.filter((_, i) => i % step.days === 0);
}
