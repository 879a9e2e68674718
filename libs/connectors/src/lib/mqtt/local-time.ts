/**
 * Epoch milliseconds of a wall-clock time without an offset (`2022-01-11T21:57:38`) read in an
 * IANA time zone; undefined when the text is not such a time. In the hour a clock falls back,
 * the earlier of the two instants is taken; a time skipped by a spring-forward is read with the
 * offset before the change.
 */
export function wallTimeToEpoch(text: string, timeZone: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3})\d*)?)?$/.exec(text);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = [1, 2, 3, 4, 5, 6].map((i) => Number(m[i] ?? 0));
  const millis = m[7] ? Number(m[7].padEnd(3, '0')) : 0;
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59) return undefined;
  const asUtc = Date.UTC(year, month - 1, day, hour, minute, second, millis);
  if (new Date(asUtc).getUTCDate() !== day) return undefined;
  // Zone offsets change at most once within a day or so: try the offsets a day before and a day after.
  const before = asUtc - offsetMs(asUtc - 86_400_000, timeZone);
  const after = asUtc - offsetMs(asUtc + 86_400_000, timeZone);
  const valid = [before, after].filter((t) => t + offsetMs(t, timeZone) === asUtc);
  // Falling back: both instants show this wall time, take the earlier; springing forward: none does.
  const ts = valid.length ? Math.min(...valid) : before;
  return ts;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** The zone's offset from UTC at an instant, in milliseconds (east positive). */
function offsetMs(ts: number, timeZone: string): number {
  let format = formatters.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, format);
  }
  const parts: Record<string, number> = {};
  for (const part of format.formatToParts(new Date(ts))) if (part.type !== 'literal') parts[part.type] = Number(part.value);
  const wall = Date.UTC(parts['year'], parts['month'] - 1, parts['day'], parts['hour'], parts['minute'], parts['second']);
  return wall - (ts - (((ts % 1000) + 1000) % 1000));
}
