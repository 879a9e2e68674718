import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { Database } from '../database/database.service';
import { InstanceIdentity } from '../leases/instance-identity';
import { LeaseStore } from '../leases/lease-store';
import { ChannelDelivery, DeliveryError } from './channel-delivery';
import type { NotificationChannel, NotificationPayload } from './entities/notification-channel.row';
import { NotificationChannelsService } from './notification-channels.service';
import { renderMessage, type Language } from './notification-message';
import { NotificationOutbox } from './notification-outbox';
import { settledWithin } from '../common/settled-within';

/** How long shutdown waits for the delivery loop, the lease renewal and the lease's release. */
const SHUTDOWN_WAIT_MS = 5_000;

/**
 * The lease of the instance that runs the alarm timers and sends notifications (issue 15: one
 * instance does both). The alarm model's timers claim the same name as the same owner.
 */
export const ALARMS_LEASE = 'alarms';
const LEASE_RENEW_MS = 1000;
/** Nothing due: look again after this long (a queued transition wakes the dispatcher sooner). */
const IDLE_MS = 1000;
/** Due rows taken per look. */
const BATCH = 50;

interface DueRow {
  id: number | string;
  channel_id: number | string;
  client_id: number | string | null;
  idempotency_key: string;
  event_id: number | string | null;
  kind: string;
  payload: string;
  attempts: number | string;
  give_up_at: number | string;
  last_error: string | null;
}

/**
 * Sends the notification outbox, on the one instance holding the `alarms` lease. A row is sent
 * only while it is `pending`, and marked `delivered` right after the target accepted it; a failed
 * attempt is retried with capped exponential back-off and jitter (or after the target's own
 * retry_after) until 24 hours after it was due, then `failed`. Refusals no retry can change (a
 * 4xx, an address no longer allowed, an SMTP 5xx) fail at once. What is left is at-least-once
 * only between a target's acceptance and the row's update: the webhook-id (the idempotency key)
 * lets a receiver drop that one repeat.
 */
@Injectable()
export class NotificationDispatcher implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('Notifications');
  private stopped = true;
  private loopDone: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private wakeSleeper: (() => void) | undefined;
  private leaseTimer: NodeJS.Timeout | undefined;
  private renewing: Promise<void> | undefined;
  private leaseValidUntil = 0;

  constructor(
    private readonly db: Database,
    private readonly outbox: NotificationOutbox,
    private readonly channels: NotificationChannelsService,
    private readonly delivery: ChannelDelivery,
    private readonly leases: LeaseStore,
    private readonly identity: InstanceIdentity,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  get holdsLease(): boolean {
    return Date.now() < this.leaseValidUntil;
  }

  onApplicationBootstrap(): void {
    this.stopped = false;
    this.outbox.onWake(() => this.wakeSleeper?.());
    this.leaseTimer = setInterval(() => void this.renewLease(), LEASE_RENEW_MS);
    this.loopDone = this.loop();
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    clearInterval(this.leaseTimer);
    this.wakeSleeper?.();
    // A database that no longer answers must not hold the shutdown (settledWithin).
    await settledWithin(this.loopDone, SHUTDOWN_WAIT_MS);
    await settledWithin(this.renewing, SHUTDOWN_WAIT_MS);
    if (this.leaseValidUntil > 0) {
      this.leaseValidUntil = 0;
      await settledWithin(
        this.leases.release([ALARMS_LEASE]).catch((err) => this.logger.warn(`Could not release the alarms lease: ${(err as Error).message}`)),
        SHUTDOWN_WAIT_MS,
      );
    }
  }

  /** Takes or renews the lease; held for its TTL from just before the claim left (see LeaseStore). */
  private renewLease(): Promise<void> {
    this.renewing ??= (async () => {
      if (this.stopped) return;
      const ttlMs = this.config.leaseTtlSec * 1000;
      const startedAt = Date.now();
      try {
        const held = (await this.leases.claim([ALARMS_LEASE], ttlMs)).has(ALARMS_LEASE);
        if (held && !this.holdsLease) this.logger.log(`This instance sends notifications (${this.identity.owner})`);
        this.leaseValidUntil = held ? startedAt + ttlMs : 0;
      } catch (err) {
        this.logger.warn(`Could not renew the alarms lease: ${(err as Error).message}`);
      }
    })().finally(() => (this.renewing = undefined));
    return this.renewing;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(this.timer);
        this.wakeSleeper = undefined;
        resolve();
      };
      this.timer = setTimeout(done, ms);
      this.wakeSleeper = done;
    });
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      if (!this.holdsLease) await this.renewLease();
      if (this.stopped) break;
      let sent = 0;
      if (this.holdsLease) {
        try {
          sent = await this.sendDue();
        } catch (err) {
          this.logger.warn(`Sending notifications failed: ${(err as Error).message}`);
        }
      }
      if (this.stopped) break;
      if (sent === 0) await this.sleep(IDLE_MS);
    }
  }

  /**
   * Sends what is due now: channels side by side, each channel's rows in order. A row waits while an
   * earlier transition of the same event to the same channel is still pending (a clear never
   * overtakes its raise); escalations, due later by design, hold nothing up. Answers how many rows were looked at.
   */
  async sendDue(): Promise<number> {
    const now = Date.now();
    const rows = await this.db.query<DueRow>(
      `SELECT id, channel_id, client_id, idempotency_key, event_id, kind, payload, attempts, give_up_at, last_error FROM notifications
        WHERE status = 'pending' AND next_attempt_at <= ?
          AND NOT EXISTS (SELECT 1 FROM notifications p WHERE p.channel_id = notifications.channel_id AND p.event_id = notifications.event_id
                          AND p.status = 'pending' AND p.kind <> 'escalated' AND p.id < notifications.id)
        ORDER BY next_attempt_at, id LIMIT ${BATCH}`,
      [now],
    );
    if (rows.length === 0) return 0;
    const byChannel = new Map<number, DueRow[]>();
    for (const r of rows) {
      const list = byChannel.get(Number(r.channel_id)) ?? [];
      list.push(r);
      byChannel.set(Number(r.channel_id), list);
    }
    const channels = new Map((await this.channels.byIds([...byChannel.keys()])).map((c) => [c.id, c]));
    await Promise.all(
      [...byChannel].map(async ([channelId, list]) => {
        const held = new Set<number>();
        for (const row of list) {
          // Another instance may have taken over: it sends from here on.
          if (this.stopped || !this.holdsLease) return;
          // One event's transitions reach a channel in order: after a failure, its later ones wait for the retry.
          if (row.event_id !== null && held.has(Number(row.event_id))) continue;
          if (!(await this.sendOne(row, channels.get(channelId))) && row.event_id !== null) held.add(Number(row.event_id));
        }
      }),
    );
    return rows.length;
  }

  /** Sends one row; false when it is to be retried. */
  private async sendOne(row: DueRow, channel: NotificationChannel | undefined): Promise<boolean> {
    const id = Number(row.id);
    const now = Date.now();
    if (!channel || !channel.enabled) return this.finish(id, 'cancelled', channel ? 'the channel is disabled' : 'the channel was deleted');
    const payload = JSON.parse(row.payload) as NotificationPayload;
    if (row.kind === 'escalated') {
      const [event] = await this.db.query<{ acknowledged: boolean | number }>('SELECT acknowledged FROM alarm_events WHERE id = ?', [Number(row.event_id)]);
      if (!event || Boolean(event.acknowledged)) return this.finish(id, 'cancelled', null);
    }
    const { language, timeZone } = await this.clientSettings(row.client_id === null ? null : Number(row.client_id));
    const message = renderMessage(payload, { language, timeZone, publicUrl: this.config.notifications.publicUrl });
    const attempts = Number(row.attempts) + 1;
    try {
      await this.delivery.deliver(channel, message, payload, row.idempotency_key);
    } catch (err) {
      const error = err instanceof DeliveryError ? err : new DeliveryError((err as Error).message);
      const next = Date.now() + Math.max(error.retryAfterMs ?? 0, this.backoff(attempts));
      const giveUp = error.permanent || next > Number(row.give_up_at);
      await this.db.transaction((m) =>
        this.db.execute(
          `UPDATE notifications SET status = ?, attempts = ?, last_attempt_at = ?, last_error = ?, next_attempt_at = ? WHERE id = ? AND status = 'pending'`,
          [giveUp ? 'failed' : 'pending', attempts, now, error.message.slice(0, 1000), next, id],
          m,
        ),
      );
      if (attempts <= 3 || giveUp) this.logger.warn(`Notification ${id} (${channel.type} channel ${channel.id}) attempt ${attempts} failed${giveUp ? ', giving up' : ''}: ${error.message}`);
      return giveUp;
    }
    await this.db.transaction((m) =>
      this.db.execute(`UPDATE notifications SET status = 'delivered', attempts = ?, last_attempt_at = ?, delivered_at = ? WHERE id = ? AND status = 'pending'`, [attempts, now, Date.now(), id], m),
    );
    return true;
  }

  private async finish(id: number, status: 'cancelled', reason: string | null): Promise<boolean> {
    await this.db.transaction((m) => this.db.execute(`UPDATE notifications SET status = ?, last_error = COALESCE(?, last_error) WHERE id = ? AND status = 'pending'`, [status, reason, id], m));
    return true;
  }

  private async clientSettings(clientId: number | null): Promise<{ language: Language; timeZone: string }> {
    if (clientId === null) return { language: 'en', timeZone: this.config.plantTimezone };
    const [row] = await this.db.query<{ language: string | null; timezone: string | null }>('SELECT language, timezone FROM clients WHERE id = ?', [clientId]);
    return { language: row?.language === 'pt-BR' ? 'pt-BR' : 'en', timeZone: row?.timezone ?? this.config.plantTimezone };
  }

  /** Capped exponential back-off with jitter: between half and all of min * 2^(n-1), at most max. */
  backoff(attempts: number): number {
    const { retryMinMs, retryMaxMs } = this.config.notifications;
    const ceiling = Math.min(retryMaxMs, retryMinMs * 2 ** Math.min(attempts - 1, 30));
    return Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
  }
}
