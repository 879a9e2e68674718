import { ApiProperty } from '@nestjs/swagger';
import { DELIVERY_STATUSES, SEVERITIES, type DeliveryStatus } from '../entities/notification-channel.row';

export class NotificationResponse {
  @ApiProperty({ description: 'Delivery id', example: 12 })
  id!: number;
  @ApiProperty({ description: 'The channel', example: 3 })
  channelId!: number;
  @ApiProperty({ description: "The channel's name", example: 'Maintenance team e-mail' })
  channelName!: string;
  @ApiProperty({ description: 'The alarm event', nullable: true, type: Number, example: 40 })
  eventId!: number | null;
  @ApiProperty({ description: 'What happened: raised, reAlarmed, cleared, acknowledged, escalated', example: 'raised' })
  kind!: string;
  @ApiProperty({ description: "The alarm's severity", enum: SEVERITIES, example: 'critical' })
  severity!: string;
  @ApiProperty({ description: 'The alarm rule', example: 'Overvoltage' })
  ruleName!: string;
  @ApiProperty({ description: 'The device, null for a platform alarm', nullable: true, type: String, example: 'Meter A' })
  deviceName!: string | null;
  @ApiProperty({
    description:
      'pending (waiting or retrying), delivered, failed (refused, or 24 hours of retries over), muted (maintenance, shelved or chattering: recorded, not sent), cancelled (an escalation whose event was acknowledged in time)',
    enum: DELIVERY_STATUSES,
    example: 'delivered',
  })
  status!: DeliveryStatus;
  @ApiProperty({ description: 'Attempts so far', example: 1 })
  attempts!: number;
  @ApiProperty({ description: 'The last attempt failed with this', nullable: true, type: String, example: null })
  lastError!: string | null;
  @ApiProperty({ description: 'Queued (ISO-8601 UTC)', example: '2026-11-30T12:00:00.000Z' })
  createdAt!: string;
  @ApiProperty({ description: 'Next attempt (pending only)', nullable: true, type: String, example: null })
  nextAttemptAt!: string | null;
  @ApiProperty({ description: 'Delivered', nullable: true, type: String, example: '2026-11-30T12:00:01.000Z' })
  deliveredAt!: string | null;
}
