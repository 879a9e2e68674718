/** The chart periods a user can pick. */
export const PERIODS = ['hour', 'today', 'week', 'month', 'custom'] as const;
export type Period = (typeof PERIODS)[number];

export interface TimeRange {
  from: Date;
  to: Date;
}

const HOUR = 3600_000;
const DAY = 24 * HOUR;

/**
 * The time range of a period ending at `now`. "Today" starts at local midnight: the user's day, not UTC's.
 * `custom` uses the given range as it is.
 */
export function periodRange(period: Period, now: Date, custom?: TimeRange): TimeRange {
  switch (period) {
    case 'hour':
      return { from: new Date(now.getTime() - HOUR), to: now };
    case 'today': {
      const midnight = new Date(now);
      midnight.setHours(0, 0, 0, 0);
      return { from: midnight, to: now };
    }
    case 'week':
      return { from: new Date(now.getTime() - 7 * DAY), to: now };
    case 'month':
      return { from: new Date(now.getTime() - 30 * DAY), to: now };
    case 'custom':
      return custom ?? { from: new Date(now.getTime() - DAY), to: now };
  }
}

/** Value for an `<input type="datetime-local">` (local time, minutes). */
export function toLocalInput(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}
