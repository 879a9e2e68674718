import { localMidnight, localParts } from '../../common/time-zones';

export interface ScheduleRow {
  id: number | string;
  client_id: number | string;
  channel_id: number | string;
  lang: string;
  day_of_month: number | string;
  created_by: string | null;
  created_at: number | string;
  last_sent_month: string | null;
  last_sent_at: number | string | null;
  attempts: number | string;
  last_error: string | null;
  next_attempt_at: number | string | null;
}

export const SCHEDULE_COLUMNS =
  'id, client_id, channel_id, lang, day_of_month, created_by, created_at, last_sent_month, last_sent_at, attempts, last_error, next_attempt_at';

const pad = (n: number) => String(n).padStart(2, '0');
const monthOf = (year: number, month: number) => {
  const d = new Date(Date.UTC(year, month - 1, 1));
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}`;
};
/** Local midnight starting day `day` of a month (month may run past 12). */
const localDayStart = (year: number, month: number, day: number, tz: string) => {
  const d = new Date(Date.UTC(year, month - 1, day, 12));
  return localMidnight(d.getTime(), tz);
};

/**
 * Where a schedule stands at `now`: the month whose report is due (the month before the local one,
 * once the local date reached the schedule's day and that report was not sent yet), or null, and
 * when the next send is due (a retry's time after a failure).
 */
export function scheduleState(row: ScheduleRow, now: number, timezone: string): { dueMonth: string | null; nextRunAt: number } {
  const day = Number(row.day_of_month);
  const local = localParts(now, timezone);
  const previous = monthOf(local.year, local.month - 1);
  const sent = row.last_sent_month !== null && row.last_sent_month >= previous;
  const retryAt = row.next_attempt_at === null ? 0 : Number(row.next_attempt_at);
  // Due: since the day began (a time already past), or since the retry's time after a failure.
  if (local.day >= day && !sent) return { dueMonth: previous, nextRunAt: Math.max(localDayStart(local.year, local.month, day, timezone), retryAt) };
  // Not yet the day this month, or this month's report went out: the day of this month or of the next.
  const nextRunAt =
    local.day < day && !sent ? localDayStart(local.year, local.month, day, timezone) : localDayStart(local.year, local.month + 1, day, timezone);
  return { dueMonth: null, nextRunAt: Math.max(nextRunAt, retryAt) };
}
