import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/**
 * Documentation of the ingest body. The hot path validates it by hand
 * (ingest-validation.ts): a metric map cannot be described to class-validator,
 * and a 500-reading batch is checked in a fraction of the time.
 */
export class ReadingDto {
  @ApiProperty({ description: 'The device the reading belongs to', example: 1 })
  deviceId!: number;

  @ApiPropertyOptional({ description: 'When the meter was read: ISO-8601 (UTC or with offset) or epoch milliseconds. Default: the time of receipt. At most 5 minutes in the future.', example: '2026-11-26T12:00:00Z', oneOf: [{ type: 'string', format: 'date-time' }, { type: 'integer' }] })
  timestamp?: string | number;

  @ApiProperty({ description: 'Metric name -> finite number, in canonical units (voltage V, current A, power W, energy Wh, frequency Hz, powerFactor)', type: 'object', additionalProperties: { type: 'number' }, example: { voltage: 229.8, current: 1.52, power: 342.1 } })
  metrics!: Record<string, number>;

  @ApiPropertyOptional({ description: 'Free-form context kept in the audit trail (at most 2 KB as JSON)', type: 'object', additionalProperties: true })
  extra?: Record<string, unknown>;
}

export class IngestRequestDto {
  @ApiProperty({ description: 'Readings to store, all or nothing (at most 10,000)', type: [ReadingDto] })
  readings!: ReadingDto[];
}

export class IngestResponse {
  @ApiProperty({ description: 'Readings accepted' })
  readings!: number;
  @ApiProperty({ description: 'Values (one per metric of a reading) newly stored' })
  stored!: number;
  @ApiProperty({ description: 'Values already stored with the same device, metric and timestamp (a retried batch); kept once' })
  duplicates!: number;
  @ApiProperty({ description: 'Alarm events raised by this batch' })
  alarmEvents!: number;
  @ApiProperty({ description: 'Alarm events cleared by this batch' })
  alarmsCleared!: number;
}
