import { ALARM_SEVERITIES, type AlarmSeverity } from '@pieng/shared';
import type { AlarmTransition } from '../../alarms/alarm-transition';

export const CHANNEL_TYPES = ['email', 'webhook', 'telegram', 'sms'] as const;
export type ChannelType = (typeof CHANNEL_TYPES)[number];

/** The transitions a channel may ask for; a re-alarm (acknowledged, still active, unacknowledged again) counts as `raised`. */
export const NOTIFY_ON = ['raised', 'cleared', 'acknowledged'] as const;
export type NotifyOn = (typeof NOTIFY_ON)[number];

/** Most severe first. */
export const SEVERITIES: readonly AlarmSeverity[] = ALARM_SEVERITIES;

/** Whether an alarm of `severity` reaches a channel that wants `minSeverity` or worse. */
export const atLeast = (severity: AlarmSeverity, minSeverity: AlarmSeverity) => SEVERITIES.indexOf(severity) <= SEVERITIES.indexOf(minSeverity);

/** A channel's configuration as stored (secrets sealed) and as the senders use it (secrets open). */
export interface EmailConfig {
  to: string[];
}
export interface WebhookConfig {
  url: string;
  /** whsec_ + base64 of the signing key. */
  secret: string;
}
export interface TelegramConfig {
  botToken: string;
  chatId: string;
}
export interface SmsConfig {
  to: string[];
}
export type ChannelConfig = EmailConfig | WebhookConfig | TelegramConfig | SmsConfig;

/** A row of `notification_channels`, config opened. */
export interface NotificationChannel {
  id: number;
  /** null: a platform-wide channel (platform staff's), for platform alarms. */
  clientId: number | null;
  name: string;
  type: ChannelType;
  config: ChannelConfig;
  minSeverity: AlarmSeverity;
  on: NotifyOn[];
  enabled: boolean;
  /** The target (webhook URL) was set by platform staff, who may send to private and loopback addresses. */
  staffTarget: boolean;
  createdAt: number;
  updatedAt: number;
}

export const DELIVERY_STATUSES = ['pending', 'delivered', 'failed', 'muted', 'cancelled'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/** What a queued notification says: the transition's facts, kept in the row so that it reads the same after the rule changes. */
export type NotificationPayload = Omit<AlarmTransition, 'kind' | 'channelIds' | 'escalationChannelId' | 'escalateAfterMin' | 'muted'> & {
  /** The transition, or `escalated`: the same raise told to the escalation channel. */
  kind: AlarmTransition['kind'] | 'escalated';
  /** For an escalation: the minutes the event went unacknowledged. */
  escalatedAfterMin?: number;
};
