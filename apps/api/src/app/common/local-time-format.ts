import { offsetAt } from './time-zones';

/** Every offset change of every time zone falls on a quarter hour: an offset looked up once holds for its quarter. */
const QUARTER_MS = 900_000;

/**
 * Writes instants as ISO 8601 with the local offset of a time zone (2026-11-03T14:15:00-03:00).
 * Exports write millions of them: the offset (an Intl call) is looked up once per quarter hour.
 */
export class LocalTimeFormat {
  private quarter = NaN;
  private offset = 0;

  constructor(readonly timezone: string) {}

  format(ts: number): string {
    const quarter = Math.floor(ts / QUARTER_MS);
    if (quarter !== this.quarter) {
      this.quarter = quarter;
      this.offset = offsetAt(ts, this.timezone);
    }
    const local = new Date(ts + this.offset).toISOString(); // 2026-11-03T14:15:00.000Z in local wall time
    const wall = ts % 1000 === 0 ? local.slice(0, 19) : local.slice(0, 23);
    return wall + offsetText(this.offset);
  }

  /** A file-name part: the local date and time, without characters a file system may refuse (2026-11-03T1415). */
  fileStamp(ts: number): string {
    return this.format(ts).slice(0, 16).replace(':', '');
  }
}

function offsetText(offsetMs: number): string {
  if (offsetMs === 0) return '+00:00';
  const minutes = Math.round(Math.abs(offsetMs) / 60_000);
  return `${offsetMs < 0 ? '-' : '+'}${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
}
