import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { AlarmSeverity } from '@pieng/shared';
import { CHANNEL_TYPES, NOTIFY_ON, SEVERITIES, type ChannelType, type NotifyOn } from '../entities/notification-channel.row';

export class NotificationChannelResponse {
  @ApiProperty({ description: 'Channel id', example: 3 })
  id!: number;
  @ApiProperty({ description: 'The client whose alarms it receives; null: platform-wide', nullable: true, type: Number, example: 1 })
  clientId!: number | null;
  @ApiProperty({ description: 'Name', example: 'Maintenance team e-mail' })
  name!: string;
  @ApiProperty({ description: 'How messages are sent', enum: CHANNEL_TYPES, example: 'email' })
  type!: ChannelType;
  @ApiProperty({
    description: 'The configuration without secrets: a Telegram bot token shows only its bot id, a webhook secret never (it is shown once, on creation)',
    type: 'object',
    additionalProperties: true,
    example: { to: ['ops@example.com'] },
  })
  config!: Record<string, unknown>;
  @ApiProperty({ description: 'The least severity sent', enum: SEVERITIES, example: 'warning' })
  minSeverity!: AlarmSeverity;
  @ApiProperty({ description: 'The transitions sent', enum: NOTIFY_ON, isArray: true, example: ['raised', 'cleared'] })
  on!: NotifyOn[];
  @ApiProperty({ description: 'Whether it queues notifications', example: true })
  enabled!: boolean;
  @ApiProperty({ description: 'Created (ISO-8601 UTC)', example: '2026-11-30T12:00:00.000Z' })
  createdAt!: string;
  @ApiProperty({ description: 'Last delivered notification (ISO-8601 UTC), null: none yet', nullable: true, type: String, example: '2026-11-30T12:05:00.000Z' })
  lastDeliveredAt!: string | null;
  @ApiProperty({ description: 'Notifications that failed for good (retries over, or refused)', example: 0 })
  failed!: number;
  @ApiProperty({ description: 'Notifications waiting to be sent or retried', example: 0 })
  pending!: number;
  @ApiProperty({ description: 'The last error of a delivery attempt on this channel, if any', nullable: true, type: String, example: null })
  lastError!: string | null;
  @ApiPropertyOptional({
    description: 'Webhook only, on creation only: the signing secret (whsec_ + base64). Store it now: it is never shown again',
    example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  })
  secret?: string;
}

export class ChannelTestResponse {
  @ApiProperty({ description: 'Whether the test message was accepted by the target', example: true })
  delivered!: boolean;
  @ApiPropertyOptional({ description: "Why not (platform staff only; a client's user is told only whether it was delivered)", example: 'webhook answered 500' })
  error?: string;
}
