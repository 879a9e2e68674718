export interface BackoffPolicy {
  /** Growth per consecutive failure (default 2). */
  factor?: number;
  /** Longest wait between attempts (default 10 minutes). */
  capMs?: number;
}

export const DEFAULT_BACKOFF_CAP_MS = 10 * 60 * 1000;

/**
 * Delay before the next poll of a device: its interval while it answers, then
 * interval x 2^failures, capped. A dead meter on a shared line then costs its
 * neighbours one timeout per (growing) interval, not one per poll.
 */
export function nextPollDelayMs(pollIntervalMs: number, consecutiveFailures: number, policy: BackoffPolicy = {}): number {
  const factor = policy.factor ?? 2;
  const cap = policy.capMs ?? DEFAULT_BACKOFF_CAP_MS;
  if (consecutiveFailures <= 0) return pollIntervalMs;
  // The cap never shortens a configured interval that is already longer than it.
  const ceiling = Math.max(cap, pollIntervalMs);
  const delay = pollIntervalMs * Math.pow(factor, Math.min(consecutiveFailures, 60));
  return Math.min(delay, ceiling);
}

/** Status to show: online after a success, backoff while failures are being retried. */
export function deviceStatusAfter(consecutiveFailures: number, offlineAfter = 3): 'online' | 'backoff' | 'offline' {
  if (consecutiveFailures <= 0) return 'online';
  return consecutiveFailures >= offlineAfter ? 'offline' : 'backoff';
}

/** Reconnect delay for a lost port or socket: base x 2^(attempt-1), capped. */
export function reconnectDelayMs(failedAttempts: number, baseMs: number, capMs: number): number {
  if (failedAttempts <= 0) return 0;
  return Math.min(capMs, baseMs * Math.pow(2, Math.min(failedAttempts - 1, 30)));
}
