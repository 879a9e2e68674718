import { doublingDelayMs } from '@pieng/connectors';
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { Database } from '../database/database.service';
import { AlarmsLease } from '../leases/alarms-lease';
import { ChannelDelivery, DeliveryError } from './channel-delivery';
import type { NotificationChannel, NotificationPayload } from './entities/notification-channel.row';
import { NotificationChannelsService } from './notification-channels.service';
import { renderMessage, type Language } from './notification-message';
import { NotificationOutbox } from './notification-outbox';
import { settledWithin } from '../common/settled-within';

/** How long shutdown waits for the delivery loop. */
const SHUTDOWN_WAIT_MS = 5_000;

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
  done_to: string | null;
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

  constructor(
    private readonly db: Database,
    private readonly outbox: NotificationOutbox,
    private readonly channels: NotificationChannelsService,
    private readonly delivery: ChannelDelivery,
    private readonly lease: AlarmsLease,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  get holdsLease(): boolean {
    return this.lease.held;
  }

  onApplicationBootstrap(): void {
    this.stopped = false;
    this.outbox.onWake(() => this.wakeSleeper?.());
    this.loopDone = this.loop();
  }

  /** Stopped before the lease is handed back (AlarmsLease, just before shutdown). */
  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    this.wakeSleeper?.();
    // A database that no longer answers must not hold the shutdown (settledWithin).
    await settledWithin(this.loopDone, SHUTDOWN_WAIT_MS);
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
      if (!this.holdsLease) await this.lease.holdNow();
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
      `SELECT id, channel_id, client_id, idempotency_key, event_id, kind, payload, attempts, give_up_at, last_error, done_to FROM notifications
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
  /**
   * Why an escalation falling due is not sent, or undefined to send it: the event was acknowledged
   * (or deleted with its rule), or it is muted now as its other notifications are (shelved,
   * chattering, its device or site in a maintenance window). A cleared event nobody acknowledged
   * still escalates: someone should look at what happened.
   */
  private async escalationMuted(eventId: number, now: number): Promise<string | null | undefined> {
    const [e] = await this.db.query<{
      acknowledged: boolean | number;
      shelved_until: number | string | null;
      chattering: boolean | number;
      maintenance: number | string;
    }>(
      `SELECT e.acknowledged, e.shelved_until, e.chattering,
              (SELECT COUNT(*) FROM alarm_maintenance w JOIN devices d ON d.id = e.device_id
                WHERE (w.device_id = e.device_id OR w.site_id = d.site_id) AND w.from_ts <= ? AND w.to_ts > ?) AS maintenance
         FROM alarm_events e WHERE e.id = ?`,
      [now, now, eventId],
    );
    if (!e || Boolean(e.acknowledged)) return null;
    if (e.shelved_until !== null && Number(e.shelved_until) > now) return 'the event is shelved';
    if (e.chattering) return 'the event is chattering';
    if (Number(e.maintenance) > 0) return 'its device is in a maintenance window';
    return undefined;
  }

  private async sendOne(row: DueRow, channel: NotificationChannel | undefined): Promise<boolean> {
    const id = Number(row.id);
    const now = Date.now();
    if (!channel || !channel.enabled) return this.finish(id, 'cancelled', channel ? 'the channel is disabled' : 'the channel was deleted');
    const payload = JSON.parse(row.payload) as NotificationPayload;
    if (row.kind === 'escalated') {
      const why = await this.escalationMuted(Number(row.event_id), now);
      if (why !== undefined) return this.finish(id, 'cancelled', why);
    }
    const { language, timeZone } = await this.clientSettings(row.client_id === null ? null : Number(row.client_id));
    const message = renderMessage(payload, { language, timeZone, publicUrl: this.config.notifications.publicUrl });
    const attempts = Number(row.attempts) + 1;
    try {
      const done = new Set<string>(row.done_to ? (JSON.parse(row.done_to) as string[]) : []);
      const recipients = {
        done,
        sent: async (to: string) => {
          done.add(to);
          await this.db.transaction((m) => this.db.execute('UPDATE notifications SET done_to = ? WHERE id = ?', [JSON.stringify([...done]), id], m));
        },
      };
      await this.delivery.deliver(channel, message, payload, row.idempotency_key, recipients);
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
      if (attempts <= 3 || giveUp)
        this.logger.warn(
          `Notification ${id} (${channel.type} channel ${channel.id}) attempt ${attempts} failed${giveUp ? ', giving up' : ''}: ${error.message}`,
        );
      return giveUp;
    }
    await this.db.transaction((m) =>
      this.db.execute(
        `UPDATE notifications SET status = 'delivered', attempts = ?, last_attempt_at = ?, delivered_at = ? WHERE id = ? AND status = 'pending'`,
        [attempts, now, Date.now(), id],
        m,
      ),
    );
    return true;
  }

  private async finish(id: number, status: 'cancelled', reason: string | null): Promise<boolean> {
    await this.db.transaction((m) =>
      this.db.execute(`UPDATE notifications SET status = ?, last_error = COALESCE(?, last_error) WHERE id = ? AND status = 'pending'`, [status, reason, id], m),
    );
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
    const ceiling = doublingDelayMs(attempts, retryMinMs, retryMaxMs);
    return Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
  }
}
