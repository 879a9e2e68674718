import { Injectable } from '@nestjs/common';

export const WINDOW_MS = 15 * 60_000;
export const MAX_FAILURES_PER_ACCOUNT = 5;
export const MAX_FAILURES_PER_ADDRESS = 20;
const SWEEP_EVERY_MS = 60_000;

/** One login attempt, counted before its password is checked. */
export interface LoginAttempt {
  /** The password was right: the account's failures are forgotten and this attempt does not count against the address. */
  succeeded(): void;
  /** The password was never checked (the server was too busy): the attempt does not count. */
  withdraw(): void;
}

/**
 * Failed logins in the last 15 minutes, per account and per address. An attempt counts as a failure
 * from the moment it starts, before the password is checked (which takes a while), so that parallel
 * guesses cannot all be checked before the first failure is recorded: the sixth of 40 parallel wrong
 * passwords for one account is refused at once. Kept in memory: a restart forgets them, which only
 * ever helps a legitimate user.
 */
@Injectable()
export class LoginThrottle {
  private readonly failures = new Map<string, number[]>();
  private lastSweep = 0;

  /** Counts the attempt, or says how many seconds the caller must wait first. */
  attempt(email: string, address: string, now = Date.now()): LoginAttempt | { retryAfterSec: number } {
    this.sweep(now);
    const account = `a:${email}`;
    const origin = `ip:${address}`;
    const wait = Math.max(this.wait(account, MAX_FAILURES_PER_ACCOUNT, now), this.wait(origin, MAX_FAILURES_PER_ADDRESS, now));
    if (wait > 0) return { retryAfterSec: wait };
    for (const key of [account, origin]) this.failures.set(key, [...this.recent(key, now), now]);
    return {
      succeeded: () => {
        this.failures.delete(account);
        this.forget(origin, now);
      },
      withdraw: () => {
        this.forget(account, now);
        this.forget(origin, now);
      },
    };
  }

  private forget(key: string, at: number): void {
    const times = this.failures.get(key);
    const i = times?.indexOf(at) ?? -1;
    if (times && i >= 0) times.splice(i, 1);
  }

  private recent(key: string, now: number): number[] {
    return (this.failures.get(key) ?? []).filter((t) => now - t < WINDOW_MS);
  }

  private wait(key: string, max: number, now: number): number {
    const recent = this.recent(key, now);
    if (recent.length < max) return 0;
    return Math.ceil((recent[recent.length - max] + WINDOW_MS - now) / 1000);
  }

  /** Drops the accounts and addresses with no failure left in the window (a stream of made-up emails would otherwise pile up). */
  private sweep(now: number): void {
    if (now - this.lastSweep < SWEEP_EVERY_MS) return;
    this.lastSweep = now;
    for (const key of [...this.failures.keys()]) if (this.recent(key, now).length === 0) this.failures.delete(key);
  }
}
