import type { AlarmRuleType, AlarmSeverity } from '@pieng/shared';
import { EntityManager } from 'typeorm';

/** What happened to an alarm event; each is one row of the event's append-only history. */
export type AlarmTransitionKind = 'raised' | 'cleared' | 'acknowledged' | 'reAlarmed' | 'shelved' | 'unshelved';

/**
 * One transition of an alarm event, as the alarm model hands it to notification delivery inside
 * the transaction that changed the event: delivery queues it in the same transaction, so a
 * committed transition is never lost and a rolled-back one is never sent.
 */
export interface AlarmTransition {
  /** The history row of this transition: with the channel, the idempotency key of a delivery. */
  historyId: number;
  eventId: number;
  kind: AlarmTransitionKind;
  /** Epoch ms of the transition (the reading's time, or the clock's for timers and operators). */
  at: number;
  ruleId: number;
  ruleName: string;
  /** null for platform alarms (platform staff's). */
  clientId: number | null;
  /** What the rule watches (absent in notifications queued before platform alarms): a platform alarm's message names its condition. */
  ruleType?: AlarmRuleType;
  /** null for platform alarms (disk space, backup, forwarding), which go to platform-wide channels. */
  deviceId: number | null;
  deviceName: string | null;
  severity: AlarmSeverity;
  metric: string | null;
  value: number | null;
  unit: string | null;
  operator: string | null;
  threshold: number | null;
  /** The rule's channels, and its escalation channel with its delay. */
  channelIds: number[];
  escalationChannelId: number | null;
  escalateAfterMin: number | null;
  /** Maintenance window, shelving or chattering: the transition is recorded but not sent. */
  muted: boolean;
  /** Who acknowledged, and the comment, for `acknowledged`. */
  by?: string | null;
  comment?: string | null;
}

/** Where the alarm model puts transitions for delivery (provided by the notifications module). */
export abstract class AlarmTransitionSink {
  abstract enqueue(m: EntityManager, transitions: AlarmTransition[]): Promise<void>;
}
