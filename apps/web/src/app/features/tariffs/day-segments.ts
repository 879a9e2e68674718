/** The postos a day is divided into; every minute outside a ponta or intermediário window is fora de ponta. */
export type Posto = 'foraPonta' | 'intermediario' | 'ponta';

export interface TariffWindowLike {
  posto: 'ponta' | 'intermediario';
  start: string;
  end: string;
}

/** A stretch of a working day in one posto, in minutes from local midnight: [start, end). */
export interface DaySegment {
  posto: Posto;
  start: number;
  end: number;
}

export const MINUTES_PER_DAY = 1440;

/** 'HH:MM' → minutes from midnight (up to 24:00 = 1440); NaN when it is not such a time. */
export function minutesOf(hhmm: string): number {
  const m = /^(\d{2}):(\d{2})$/.exec(hhmm);
  if (!m) return Number.NaN;
  const minutes = Number(m[1]) * 60 + Number(m[2]);
  return Number(m[2]) < 60 && minutes <= MINUTES_PER_DAY ? minutes : Number.NaN;
}

/** Minutes from midnight → 'HH:MM' (1440 → '24:00'). */
export function hhmmOf(minutes: number): string {
  return `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
}

/**
 * A working day cut into postos, from 0 to 1440 minutes without gaps: the windows in time order, fora de ponta between
 * them. The form draws windows while they are typed, so it forgives what the server refuses: a window that does not
 * parse or ends before it starts is left out, and one overlapping an earlier window starts where that one ends.
 * Neighbours in the same posto are joined.
 */
export function daySegments(windows: readonly TariffWindowLike[]): DaySegment[] {
  const parsed = windows
    .map((w) => ({ posto: w.posto, start: minutesOf(w.start), end: minutesOf(w.end) }))
    .filter((w) => w.start < w.end)
    .sort((a, b) => a.start - b.start || a.end - b.end);
  const segments: DaySegment[] = [];
  const push = (posto: Posto, start: number, end: number): void => {
    if (end <= start) return;
    const last = segments[segments.length - 1];
    if (last && last.posto === posto && last.end === start) last.end = end;
    else segments.push({ posto, start, end });
  };
  let cursor = 0;
  for (const w of parsed) {
    if (w.end <= cursor) continue;
    push('foraPonta', cursor, w.start);
    push(w.posto, Math.max(cursor, w.start), w.end);
    cursor = w.end;
  }
  push('foraPonta', cursor, MINUTES_PER_DAY);
  return segments;
}
