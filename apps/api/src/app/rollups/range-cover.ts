import { alignDown } from '../common/time-zones';
import { ROLLUP_RESOLUTIONS } from './rollup-store';

/** A piece of a time range and where its values are read: whole rollup buckets of one size, or raw rows. */
export interface RangePiece {
  /** Bucket size in ms of the rollup that covers the piece exactly, or null for raw rows. */
  bucketMs: number | null;
  /** Inclusive start, epoch ms. */
  from: number;
  /** Exclusive end, epoch ms. */
  until: number;
}

const alignUp = (ts: number, ms: number) => alignDown(ts + ms - 1, ms);

/**
 * Splits [from, until) into the fewest pieces that rollups cover exactly: whole hours in the middle,
 * then whole quarters of an hour and whole minutes towards the edges, and raw rows for the partial
 * minutes at each end. A year-long summary reads about 8,760 hourly buckets and at most a few
 * hundred minutes' worth of raw rows, whatever the number of readings.
 */
export function coverRange(from: number, until: number, level = ROLLUP_RESOLUTIONS.length - 1): RangePiece[] {
  if (from >= until) return [];
  if (level < 0) return [{ bucketMs: null, from, until }];
  const size = ROLLUP_RESOLUTIONS[level].bucketMs;
  const start = alignUp(from, size);
  const end = alignDown(until, size);
  if (start >= end) return coverRange(from, until, level - 1);
  return [...coverRange(from, start, level - 1), { bucketMs: size, from: start, until: end }, ...coverRange(end, until, level - 1)];
}
