/** The latest (and, negated, the earliest) instant a JavaScript Date can hold: 8.64e15 ms, about the year 275760. */
export const MAX_EPOCH_MS = 8.64e15;

const ISO_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

const isLeapYear = (year: number) => (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
const daysInMonth = (year: number, month: number) => (month === 2 ? (isLeapYear(year) ? 29 : 28) : [4, 6, 9, 11].includes(month) ? 30 : 31);

export interface IsoParseOptions {
  /** A date alone (2026-11-26, midnight UTC) is accepted; otherwise a time is required. */
  allowDateOnly: boolean;
}

/**
 * Strict ISO-8601: `2026-11-26T12:00:00Z`, with optional seconds and fraction and a zone (`Z`, `+01:00`,
 * `-0300`), or a date alone when allowed. Unlike Date.parse, an impossible calendar value is refused
 * rather than rolled over (2026-02-30 is not 2 March; month 13, hour 24 and second 60 are refused).
 * Returns epoch milliseconds (a fraction beyond milliseconds is cut), or the reason it is not a date-time.
 */
export function parseIsoDateTime(text: string, options: IsoParseOptions): { ms: number } | { error: string } {
  const m = ISO_DATE_TIME.exec(text);
  const shape = options.allowDateOnly
    ? 'an ISO-8601 date-time with a zone (e.g. 2026-11-26T12:00:00Z) or a date (2026-11-26)'
    : 'an ISO-8601 date-time with a zone (e.g. 2026-11-26T12:00:00Z)';
  if (!m) return { error: `must be ${shape}` };
  const [, y, mo, d, h, mi, s, fraction, zone] = m;
  const hasTime = h !== undefined;
  if (!hasTime && !options.allowDateOnly) return { error: `must be ${shape}` };
  if (hasTime && zone === undefined) return { error: 'needs a time zone (Z for UTC, or an offset such as +01:00)' };
  const [year, month, day, hour, minute, second] = [y, mo, d, h ?? '0', mi ?? '0', s ?? '0'].map(Number);
  if (month < 1 || month > 12) return { error: `is not a real date: month ${mo} does not exist` };
  if (day < 1 || day > daysInMonth(year, month)) return { error: `is not a real date: ${y}-${mo} has no day ${d}` };
  if (hour > 23 || minute > 59 || second > 59) return { error: `is not a real time of day: ${h}:${mi}${s === undefined ? '' : `:${s}`}` };
  let offsetMin = 0;
  if (zone !== undefined && zone !== 'Z') {
    const oh = Number(zone.slice(1, 3));
    const om = Number(zone.slice(-2));
    if (oh > 23 || om > 59) return { error: `has an impossible time zone offset ${zone}` };
    offsetMin = (zone[0] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  // setUTCFullYear, not Date.UTC: Date.UTC maps the years 0-99 to 1900-1999.
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, fraction === undefined ? 0 : Number(fraction.slice(0, 3).padEnd(3, '0')));
  return { ms: date.getTime() - offsetMin * 60_000 };
}
