import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsNotEmpty,
  IsObject,
  IsOptional,
  IsString,
  MaxLength,
  Min,
  ValidateIf,
} from 'class-validator';
import type { AlarmSeverity } from '@pieng/shared';
import { CHANNEL_TYPES, NOTIFY_ON, SEVERITIES, type ChannelType, type NotifyOn } from '../entities/notification-channel.row';

export class CreateNotificationChannelDto {
  @ApiPropertyOptional({
    description:
      "The client whose alarms the channel receives; a client's user may leave it out (their own client). null: a platform-wide channel for platform alarms (platform staff only)",
    example: 1,
    nullable: true,
    type: Number,
  })
  @IsOptional()
  @ValidateIf((_, v) => v !== null)
  @IsInt()
  @Min(1)
  clientId?: number | null;

  @ApiProperty({ description: 'A name people recognise', example: 'Maintenance team e-mail' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  name!: string;

  @ApiProperty({ description: 'How messages are sent', enum: CHANNEL_TYPES, example: 'email' })
  @IsIn(CHANNEL_TYPES, { message: `type must be one of ${CHANNEL_TYPES.join(', ')}` })
  type!: ChannelType;

  @ApiProperty({
    description:
      'Per type. email: {to: [addresses]}; webhook: {url} (the signing secret is generated and shown once in the answer); telegram: {botToken, chatId}; sms: {to: [numbers in E.164, e.g. +5511987654321]}',
    example: { to: ['ops@example.com'] },
    type: 'object',
    additionalProperties: true,
  })
  @IsObject()
  config!: Record<string, unknown>;

  @ApiPropertyOptional({ description: 'The least severity sent (default warning, i.e. every alarm; sms: major)', enum: SEVERITIES, example: 'major' })
  @IsOptional()
  @IsIn(SEVERITIES, { message: `minSeverity must be one of ${SEVERITIES.join(', ')}` })
  minSeverity?: AlarmSeverity;

  @ApiPropertyOptional({ description: 'The transitions sent (default raised and cleared)', enum: NOTIFY_ON, isArray: true, example: ['raised', 'cleared'] })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(3)
  @IsIn(NOTIFY_ON, { each: true, message: `on must hold only ${NOTIFY_ON.join(', ')}` })
  on?: NotifyOn[];

  @ApiPropertyOptional({ description: 'A disabled channel queues nothing (default true)', example: true })
  @IsOptional()
  @IsBoolean()
  enabled?: boolean;
}
