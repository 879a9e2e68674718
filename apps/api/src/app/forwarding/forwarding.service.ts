import { Injectable } from '@nestjs/common';
import { ForwardingStatusResponse } from './dto/forwarding-status.response';
import { Forwarder } from './forwarder';
import { ForwardingOutbox } from './forwarding-outbox';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

@Injectable()
export class ForwardingService {
  constructor(
    private readonly outbox: ForwardingOutbox,
    private readonly forwarder: Forwarder,
  ) {}

  async status(): Promise<ForwardingStatusResponse> {
    const [counts, leaseOwner] = await Promise.all([this.outbox.counts(), this.forwarder.target === undefined ? null : this.forwarder.leaseOwner()]);
    const s = this.forwarder.state;
    const now = Date.now();
    return {
      enabled: this.forwarder.target !== undefined,
      target: this.forwarder.target ?? null,
      pending: counts.pending,
      oldestPendingAt: iso(counts.oldestPendingAt),
      oldestPendingAgeSec: counts.oldestPendingAt === null ? null : Math.max(0, (now - counts.oldestPendingAt) / 1000),
      lastSuccessAt: iso(s.lastSuccessAt),
      lastAttemptAt: iso(s.lastAttemptAt),
      lastError: s.lastError,
      lastErrorAt: iso(s.lastErrorAt),
      consecutiveFailures: s.consecutiveFailures,
      nextAttemptAt: iso(s.nextAttemptAt),
      deadLettered: counts.deadLettered,
      lastDeadLetterError: counts.lastDeadLetterError,
      outboxBytes: this.outbox.estimatedBytes,
      outboxMaxBytes: this.outbox.maxBytes,
      full: this.outbox.full,
      overflowDevices: counts.overflowDevices,
      forwardedSinceStart: s.forwarded,
      leaseOwner,
      sendingHere: this.forwarder.holdsLease,
    };
  }

  retryDeadLetters(): Promise<number> {
    return this.outbox.retryDeadLetters();
  }
}
