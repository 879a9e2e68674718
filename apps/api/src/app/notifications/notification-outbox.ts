import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AlarmTransition, AlarmTransitionSink } from '../alarms/alarm-transition';
import { Database } from '../database/database.service';
import { atLeast, type NotificationChannel, type NotificationPayload, type NotifyOn } from './entities/notification-channel.row';
import { NotificationChannelsService } from './notification-channels.service';

/** Retries of one delivery stop this long after it was due. */
export const DELIVERY_WINDOW_MS = 24 * 3600_000;

/** The transitions a channel's `on` covers; shelving and unshelving are never sent. */
const NOTIFY_KIND: Partial<Record<AlarmTransition['kind'], NotifyOn>> = {
  raised: 'raised',
  reAlarmed: 'raised',
  cleared: 'cleared',
  acknowledged: 'acknowledged',
};

/**
 * The key of one delivery: the transition (its history row, for an event the alarm model numbers) and
 * the channel. It is also the webhook-id, so a receiver sees the same id on every retry.
 */
export const deliveryKey = (t: Pick<AlarmTransition, 'eventId' | 'historyId'>, kind: string, channelId: number) =>
  `alarm-${t.eventId}-${t.historyId}-${kind}-${channelId}`;

/**
 * May this channel carry this transition? A client's channel carries its own client's alarms; a
 * platform-wide channel (no client) carries platform alarms (no device). A rule can never send to
 * another client's channel, whatever ids it names.
 */
function carries(channel: NotificationChannel, t: AlarmTransition): boolean {
  if (channel.clientId === null) return t.deviceId === null;
  return channel.clientId === t.clientId;
}

interface OutboxRow {
  channelId: number;
  clientId: number | null;
  key: string;
  kind: string;
  payload: NotificationPayload;
  status: 'pending' | 'muted';
  dueAt: number;
}

/**
 * Where the alarm model queues transitions for delivery: one `notifications` row per (transition,
 * channel) whose severity and transitions match, written with the EntityManager of the
 * transaction that changed the event, so that a committed transition is always delivered and a
 * rolled-back one never. Muted transitions (maintenance, shelving, chattering) are recorded as
 * `muted` and never sent. A raise whose rule names an escalation channel also queues the
 * escalation, due escalateAfterMin later; it is sent then only if the event is still unacknowledged.
 */
@Injectable()
export class NotificationOutbox extends AlarmTransitionSink {
  private wakeListener?: () => void;

  constructor(
    private readonly db: Database,
    private readonly channels: NotificationChannelsService,
  ) {
    super();
  }

  /** The dispatcher listens, to look at the outbox soon after a transition instead of at its next tick. */
  onWake(listener: () => void): void {
    this.wakeListener = listener;
  }

  async enqueue(m: EntityManager, transitions: AlarmTransition[]): Promise<void> {
    const ids = new Set<number>();
    for (const t of transitions) {
      for (const id of t.channelIds) ids.add(id);
      if (t.escalationChannelId != null) ids.add(t.escalationChannelId);
    }
    if (ids.size === 0) return;
    const channels = new Map((await this.channels.byIds([...ids], m)).map((c) => [c.id, c]));
    const rows: OutboxRow[] = [];
    const now = Date.now();
    for (const t of transitions) {
      const on = NOTIFY_KIND[t.kind];
      if (!on) continue;
      // The transition's facts, without what only routes it (channels, escalation, muting).
      const payload: NotificationPayload = {
        eventId: t.eventId,
        historyId: t.historyId,
        kind: t.kind,
        at: t.at,
        ruleId: t.ruleId,
        ruleName: t.ruleName,
        ...(t.ruleType !== undefined && { ruleType: t.ruleType }),
        clientId: t.clientId,
        deviceId: t.deviceId,
        deviceName: t.deviceName,
        severity: t.severity,
        metric: t.metric,
        value: t.value,
        unit: t.unit,
        operator: t.operator,
        threshold: t.threshold,
        ...(t.by != null && { by: t.by }),
        ...(t.comment != null && { comment: t.comment }),
      };
      const status = t.muted ? 'muted' : 'pending';
      for (const id of new Set(t.channelIds)) {
        const c = channels.get(id);
        if (!c || !c.enabled || !carries(c, t) || !c.on.includes(on) || !atLeast(t.severity, c.minSeverity)) continue;
        rows.push({ channelId: id, clientId: c.clientId, key: deliveryKey(t, t.kind, id), kind: t.kind, payload, status, dueAt: now });
      }
      const e = t.escalationChannelId != null ? channels.get(t.escalationChannelId) : undefined;
      if (
        t.kind === 'raised' &&
        e &&
        t.escalateAfterMin != null &&
        t.escalateAfterMin >= 0 &&
        e.enabled &&
        carries(e, t) &&
        atLeast(t.severity, e.minSeverity)
      ) {
        rows.push({
          channelId: e.id,
          clientId: e.clientId,
          key: deliveryKey(t, 'escalated', e.id),
          kind: 'escalated',
          payload: { ...payload, kind: 'escalated', escalatedAfterMin: t.escalateAfterMin },
          status,
          dueAt: t.at + t.escalateAfterMin * 60_000,
        });
      }
    }
    for (const r of rows) {
      // A transition handed over twice (a retried transaction) queues nothing new.
      await this.db.execute(
        `INSERT INTO notifications (channel_id, client_id, idempotency_key, event_id, history_id, kind, severity, payload, status, attempts, next_attempt_at, give_up_at, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?) ON CONFLICT (idempotency_key) DO NOTHING`,
        [
          r.channelId,
          r.clientId,
          r.key,
          r.payload.eventId,
          r.payload.historyId,
          r.kind,
          r.payload.severity,
          JSON.stringify(r.payload),
          r.status,
          r.dueAt,
          Math.max(r.dueAt, now) + DELIVERY_WINDOW_MS,
          now,
        ],
        m,
      );
    }
    if (rows.some((r) => r.status === 'pending')) setImmediate(() => this.wakeListener?.());
  }
}
