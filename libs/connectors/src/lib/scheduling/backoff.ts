export interface BackoffPolicy {
  /** Growth per consecutive failure (default 2). */
  factor?: number;
  /** Longest wait between attempts (default: pollBackoffCapMs of the interval). */
  capMs?: number;
}

/** The shortest back-off cap: a dead meter is tried at least once a minute, whatever its interval. */
export const MIN_BACKOFF_CAP_MS = 60_000;

/**
 * Longest wait between two attempts at a failing device: 60 s, or three intervals for a device
 * polled less often than every 20 s. A meter back from an outage is then read within a minute
 * (or three of its intervals), not after a back-off grown to ten minutes; a dead meter on a shared
 * line still costs its neighbours only one timeout per cap.
 */
export function pollBackoffCapMs(pollIntervalMs: number): number {
  return Math.max(MIN_BACKOFF_CAP_MS, 3 * pollIntervalMs);
}

/**
 * Delay before the next poll of a device: its interval while it answers, then
 * interval x 2^failures, capped (pollBackoffCapMs unless the policy says otherwise).
 */
export function nextPollDelayMs(pollIntervalMs: number, consecutiveFailures: number, policy: BackoffPolicy = {}): number {
  const factor = policy.factor ?? 2;
  const cap = policy.capMs ?? pollBackoffCapMs(pollIntervalMs);
  if (consecutiveFailures <= 0) return pollIntervalMs;
  // A cap never shortens a configured interval that is already longer than it.
  const ceiling = Math.max(cap, pollIntervalMs);
  const delay = pollIntervalMs * Math.pow(factor, Math.min(consecutiveFailures, 60));
  return Math.min(delay, ceiling);
}

/**
 * A delay that doubles with each failed attempt: base x 2^(attempt-1), capped (reopening a lost port
 * or socket, retrying a notification or a report e-mail).
 */
export function doublingDelayMs(failedAttempts: number, baseMs: number, capMs: number): number {
  if (failedAttempts <= 0) return 0;
  return Math.min(capMs, baseMs * Math.pow(2, Math.min(failedAttempts - 1, 30)));
}
