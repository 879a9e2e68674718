/**
 * Local calendar days in an IANA time zone, with the runtime's own time-zone data (Intl): a client's
 * days start at its local midnight, which moves with daylight-saving changes.
 */
const SECOND = 1_000;
const HOUR = 3_600_000;
export const DAY_MS = 86_400_000;

/** The start of the UTC-aligned bucket of width ms that holds ts. */
export const alignDown = (ts: number, ms: number) => ts - (((ts % ms) + ms) % ms);

/** Every local midnight in the time zone from the one at or before `from` to `to`. */
export function localDayStarts(from: number, to: number, timeZone: string): number[] {
  const out: number[] = [];
  if (timeZone === 'UTC' || timeZone === 'Etc/UTC') {
    for (let day = from - (((from % DAY_MS) + DAY_MS) % DAY_MS); day <= to; day += DAY_MS) out.push(day);
    return out;
  }
  let day = localMidnight(from, timeZone);
  while (day <= to) {
    out.push(day);
    // 26 hours later is always inside the next local day, whatever the daylight-saving change.
    day = localMidnight(day + 26 * HOUR, timeZone);
  }
  return out;
}

/** Days since 1970-01-01 in the time zone, of the local day that holds ts. */
export function localDayIndex(ts: number, timeZone: string): number {
  const p = localParts(ts, timeZone);
  return Math.round(Date.UTC(p.year, p.month - 1, p.day) / DAY_MS);
}

/** The instant of local midnight of the local day that holds ts. */
export function localMidnight(ts: number, timeZone: string): number {
  const p = localParts(ts, timeZone);
  const wall = Date.UTC(p.year, p.month - 1, p.day);
  // The offset at midnight may differ from the offset at ts (a daylight-saving change that day): look it up twice.
  let guess = wall - offsetAt(ts, timeZone);
  guess = wall - offsetAt(guess, timeZone);
  // Where midnight does not exist (a change at 00:00), the day starts at the first instant of that date.
  return localParts(guess, timeZone).day === p.day ? guess : guess + HOUR;
}

/** Local wall-clock time minus UTC at the instant ts, in milliseconds. */
export function offsetAt(ts: number, timeZone: string): number {
  const p = localParts(ts, timeZone);
  return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - (ts - (((ts % SECOND) + SECOND) % SECOND));
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** The wall-clock fields (year, month 1-12, day, hour 0-23, minute, second) of the instant ts in a time zone. */
export function localParts(ts: number, timeZone: string) {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, f);
  }
  const parts: Record<string, number> = {};
  for (const part of f.formatToParts(ts)) if (part.type !== 'literal') parts[part.type] = Number(part.value);
  return parts as { year: number; month: number; day: number; hour: number; minute: number; second: number };
}

/** True when the time zone is a valid IANA name. */
export function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}
