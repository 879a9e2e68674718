import { Logger } from '@nestjs/common';
import { settledWithin } from '../common/settled-within';
import type { LeaseStore } from './lease-store';

/** How long stopping waits for a claim in flight and for the release: a database gone must not hold a shutdown. */
const STOP_WAIT_MS = 5_000;

export interface HeldLeaseOptions {
  /** The lease's time to live (ms); it is renewed well before (every `renewEveryMs`). */
  ttlMs: number;
  /** How often `start()` renews it (default every second). */
  renewEveryMs?: number;
  /** What this instance does while it holds the lease, for the log ("sends the outbox"). */
  job: string;
  logger: Logger;
}

/**
 * One named lease this instance takes and keeps while it can, for a job one instance among those on a
 * database does (forwarding, MQTT, alarm timers and notifications). Renewed from a timer, so a long
 * job keeps it; counted as held for its TTL from just before the claim left (a duration on this
 * host's clock: the database judges expiry on its own clock); handed back on stop, so another
 * instance takes over at once instead of at expiry.
 */
export class HeldLease {
  private validUntil = 0;
  private renewing?: Promise<boolean>;
  private timer?: NodeJS.Timeout;
  private stopped = false;

  constructor(
    private readonly store: LeaseStore,
    readonly name: string,
    private readonly options: HeldLeaseOptions,
  ) {}

  /** This instance holds it right now. */
  get held(): boolean {
    return Date.now() < this.validUntil;
  }

  /** Renews it every `renewEveryMs` until stop(). */
  start(): void {
    this.stopped = false;
    clearInterval(this.timer);
    this.timer = setInterval(() => void this.renew(), this.options.renewEveryMs ?? 1_000);
    this.timer.unref();
  }

  /** Takes or renews it now (one claim in flight at a time); whether it is held. */
  renew(): Promise<boolean> {
    this.renewing ??= (async () => {
      if (this.stopped) return false;
      const startedAt = Date.now();
      try {
        const held = (await this.store.claim([this.name], this.options.ttlMs)).has(this.name);
        if (held && !this.held) this.options.logger.log(`This instance ${this.options.job} (${this.name} lease)`);
        if (!held && this.held) this.options.logger.warn(`Another instance took over: it ${this.options.job} (${this.name} lease)`);
        this.validUntil = held ? startedAt + this.options.ttlMs : 0;
      } catch (err) {
        this.options.logger.warn(`Could not renew the ${this.name} lease: ${(err as Error).message}`);
      }
      return this.held;
    })().finally(() => (this.renewing = undefined));
    return this.renewing;
  }

  /** Stops renewing and hands the lease back if this instance held it. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await settledWithin(this.renewing, STOP_WAIT_MS);
    if (this.validUntil === 0) return;
    this.validUntil = 0;
    await settledWithin(
      this.store.release([this.name]).catch((err) => this.options.logger.warn(`Could not release the ${this.name} lease: ${(err as Error).message}`)),
      STOP_WAIT_MS,
    );
  }
}
