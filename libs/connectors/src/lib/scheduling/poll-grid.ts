/**
 * The poll grid. A device polled every `interval` reads at the multiples of its interval since the
 * epoch (a 5 s device at :00, :05, :10 ...): its rate does not drift with the time a read takes or
 * with timer delays, and devices with one interval read together. Two reads of one device are never
 * less than half an interval apart: a slot that cannot be kept that way is skipped, never bunched.
 */

/** The slot at or before `t` (epoch ms). */
export function gridSlot(t: number, intervalMs: number): number {
  return Math.floor(t / intervalMs) * intervalMs;
}

/** The first slot at or after `t` (epoch ms). */
export function slotAtOrAfter(t: number, intervalMs: number): number {
  return Math.ceil(t / intervalMs) * intervalMs;
}

/**
 * When to read next after a read that started at `startedAt` and ended at `now`: the first slot at
 * least half an interval after that start and at most half an interval past (a read that overran
 * the next slot by more than that skips it).
 */
export function nextSlotAfterRead(startedAt: number, intervalMs: number, now: number): number {
  return slotAtOrAfter(Math.max(startedAt + intervalMs / 2, now - intervalMs / 2), intervalMs);
}

/**
 * When an instance starts reading a device (start-up, a new device, a takeover from another
 * instance), from the time of its last stored reading: at once when the current slot has no reading
 * yet (a device never read, or read half an interval ago or more, in an earlier slot); otherwise the
 * first slot after that reading, so that no slot is read twice.
 */
export function firstPollAt(lastReadingAt: number | null, intervalMs: number, now: number): number {
  if (lastReadingAt === null) return now;
  if (gridSlot(lastReadingAt, intervalMs) < gridSlot(now, intervalMs) && now - lastReadingAt >= intervalMs / 2) return now;
  return nextSlotAfterRead(lastReadingAt, intervalMs, now);
}
