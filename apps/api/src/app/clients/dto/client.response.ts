import type { Language } from '@pieng/shared';
import { ApiProperty } from '@nestjs/swagger';
import type { Client } from '../entities/client.entity';

export class ClientRetentionResponse {
  @ApiProperty({
    description: "Days the client's raw readings are kept; null: the platform's default (RETENTION_RAW_DAYS)",
    nullable: true,
    type: Number,
    example: null,
  })
  rawDays!: number | null;
  @ApiProperty({
    description: "Days the client's 1-minute rollups are kept; null: the platform's default (RETENTION_1M_DAYS)",
    nullable: true,
    type: Number,
    example: null,
  })
  oneMinuteDays!: number | null;
  @ApiProperty({
    description: "Days the client's 15-minute rollups are kept; null: the platform's default (RETENTION_15M_DAYS)",
    nullable: true,
    type: Number,
    example: null,
  })
  fifteenMinuteDays!: number | null;
  @ApiProperty({
    description: "Days the client's 1-hour rollups are kept; null: the platform's default (RETENTION_1H_DAYS)",
    nullable: true,
    type: Number,
    example: null,
  })
  oneHourDays!: number | null;
}

export class ClientResponse {
  @ApiProperty({ description: 'Client id', example: 1 })
  id!: number;
  @ApiProperty({ description: "The client's name", example: 'Fazenda Boa Vista' })
  name!: string;
  @ApiProperty({ description: "The client's identifier in other systems", nullable: true, type: String, example: 'CRM-0042' })
  externalId!: string | null;
  @ApiProperty({ description: "IANA time zone of the client's days (its own, or PLANT_TIMEZONE when it has none)", example: 'America/Sao_Paulo' })
  timezone!: string;
  @ApiProperty({ description: "Language of the client's notifications", enum: ['en', 'pt-BR'], example: 'en' })
  language!: Language;
  @ApiProperty({ description: 'When the client was created (ISO-8601 UTC)', example: '2026-11-26T12:00:00.000Z' })
  createdAt!: string;
  @ApiProperty({ description: "The client's own retention per resolution, where platform staff set one", type: ClientRetentionResponse })
  retention!: ClientRetentionResponse;
  @ApiProperty({
    description: "The client's mqtt devices must have topics under this prefix (set by platform staff); null: any topic",
    nullable: true,
    type: String,
    example: null,
  })
  mqttTopicPrefix!: string | null;

  static from(c: Client, plantTimezone: string): ClientResponse {
    return {
      id: c.id,
      name: c.name,
      externalId: c.externalId,
      timezone: c.timezone ?? plantTimezone,
      language: c.language ?? 'en',
      createdAt: new Date(c.createdAt).toISOString(),
      retention: {
        rawDays: c.retentionRawDays,
        oneMinuteDays: c.retentionOneMinuteDays,
        fifteenMinuteDays: c.retentionFifteenMinuteDays,
        oneHourDays: c.retentionOneHourDays,
      },
      mqttTopicPrefix: c.mqttTopicPrefix ?? null,
    };
  }
}
