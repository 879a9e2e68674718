import { Injectable } from '@nestjs/common';

export const WINDOW_MS = 15 * 60_000;
export const MAX_FAILURES_PER_ACCOUNT = 5;
export const MAX_FAILURES_PER_ADDRESS = 20;

/**
 * Failed logins in the last 15 minutes, per account and per address. Kept in
 * memory: a restart forgets them, which only ever helps a legitimate user.
 */
@Injectable()
export class LoginThrottle {
  private readonly failures = new Map<string, number[]>();

  /** Seconds until the caller may try again, or 0. */
  retryAfterSec(email: string, address: string, now = Date.now()): number {
    const waits = [this.wait(`a:${email}`, MAX_FAILURES_PER_ACCOUNT, now), this.wait(`ip:${address}`, MAX_FAILURES_PER_ADDRESS, now)];
    return Math.max(...waits);
  }

  recordFailure(email: string, address: string, now = Date.now()): void {
    for (const key of [`a:${email}`, `ip:${address}`]) this.failures.set(key, [...this.recent(key, now), now]);
  }

  recordSuccess(email: string): void {
    this.failures.delete(`a:${email}`);
  }

  private recent(key: string, now: number): number[] {
    return (this.failures.get(key) ?? []).filter((t) => now - t < WINDOW_MS);
  }

  private wait(key: string, max: number, now: number): number {
    const recent = this.recent(key, now);
    if (recent.length < max) return 0;
    return Math.ceil((recent[recent.length - max] + WINDOW_MS - now) / 1000);
  }
}
