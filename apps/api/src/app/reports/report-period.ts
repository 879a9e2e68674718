import { localMidnight } from '../common/time-zones';

export interface ReportPeriod {
  /** First instant, inclusive. */
  from: number;
  /** First instant after the period. */
  until: number;
  /** Calendar month, or the billing cycle that ends on the reading day of the month. */
  kind: 'month' | 'billingCycle';
}

/** Local midnight of a calendar date (day clamped to the month's length: a reading day 31 in February is its last day). */
function localDate(year: number, month: number, day: number, timezone: string): number {
  const y = year + Math.floor((month - 1) / 12);
  const m = (((month - 1) % 12) + 12) % 12;
  const last = new Date(Date.UTC(y, m + 1, 0)).getUTCDate();
  // Noon UTC falls on the same calendar date in every time zone between UTC−12 and UTC+11.
  return localMidnight(Date.UTC(y, m, Math.min(day, last), 12), timezone);
}

/**
 * The period of the report of `month` (YYYY-MM): the calendar month in the time zone, or, where the
 * site has a reading day d, the billing cycle from day d of the month before to day d of this month
 * (the bill of a month covers the readings up to its reading day).
 */
export function reportPeriod(month: string, timezone: string, readingDay: number | null, shiftMonths = 0): ReportPeriod {
  const [year, m] = month.split('-').map(Number);
  const mm = m + shiftMonths;
  if (readingDay) return { from: localDate(year, mm - 1, readingDay, timezone), until: localDate(year, mm, readingDay, timezone), kind: 'billingCycle' };
  return { from: localDate(year, mm, 1, timezone), until: localDate(year, mm + 1, 1, timezone), kind: 'month' };
}
