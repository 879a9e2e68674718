import { InvalidInputError } from '../common/domain-errors';
import { alignDown, DAY_MS, localDayIndex, localDayStarts, offsetAt } from '../common/time-zones';
import { QUARTER_MS } from './energy-counter';
import { EnergyInterval, MAX_ENERGY_INTERVALS } from './dto/energy.queries';

const HOUR_MS = 3_600_000;

/** A 400 for an answer that would hold more than MAX_ENERGY_INTERVALS intervals. */
export function tooMany(field: string, n: number) {
  return InvalidInputError.forFields([
    {
      field,
      message: `gives ${Math.ceil(n).toLocaleString('en')} intervals, more than ${MAX_ENERGY_INTERVALS.toLocaleString('en')}: choose a coarser interval or a shorter period`,
    },
  ]);
}

/**
 * The starts of the intervals that overlap [from, to], and the end of the last one: quarters and
 * hours of the local clock, local days, weeks from Monday and calendar months.
 */
export function intervalStarts(interval: EnergyInterval, from: number, to: number, timezone: string): number[] {
  if (interval === '15m' || interval === 'hour') {
    const n = (to - from) / (interval === '15m' ? QUARTER_MS : HOUR_MS);
    if (n > MAX_ENERGY_INTERVALS) throw tooMany('interval', n);
    const out: number[] = [];
    // Local hours start on a quarter whose local time is a whole hour (India's +05:30 too).
    const utc = timezone === 'UTC' || timezone === 'Etc/UTC';
    const isStart = (t: number) => interval === '15m' || (t + (utc ? 0 : offsetAt(t, timezone))) % HOUR_MS === 0;
    let t = alignDown(from, QUARTER_MS);
    while (!isStart(t)) t -= QUARTER_MS;
    out.push(t);
    for (t += QUARTER_MS; out[out.length - 1] <= to; t += QUARTER_MS) if (isStart(t)) out.push(t);
    return out;
  }
  const days = (to - from) / DAY_MS / (interval === 'day' ? 1 : interval === 'week' ? 7 : 28);
  if (days > MAX_ENERGY_INTERVALS) throw tooMany('interval', days);
  // Local midnights from before the week or month that holds `from` to after the one that holds `to`.
  const midnights = localDayStarts(from - 32 * DAY_MS, to + 32 * DAY_MS, timezone);
  const isStart = (t: number) => {
    const day = localDayIndex(t, timezone);
    if (interval === 'day') return true;
    // 1970-01-01 was a Thursday: day 4 was the first Monday.
    if (interval === 'week') return (((day - 4) % 7) + 7) % 7 === 0;
    return new Date(day * DAY_MS).getUTCDate() === 1;
  };
  const starts = midnights.filter(isStart);
  const after = starts.findIndex((t) => t > to);
  const first = starts.findIndex((t, k) => t <= from && starts[k + 1] > from);
  return starts.slice(first, after + 1);
}
