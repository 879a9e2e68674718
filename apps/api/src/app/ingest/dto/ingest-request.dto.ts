import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/**
 * Documentation of the ingest body. The hot path validates it by hand
 * (ingest-validation.ts): a metric map cannot be described to class-validator,
 * and a 500-reading batch is checked in a fraction of the time.
 */
export class ReadingDto {
  @ApiPropertyOptional({ description: "The device the reading belongs to, by this instance's id (give deviceId or deviceUid)", example: 1 })
  deviceId?: number;

  @ApiPropertyOptional({
    description: 'The device by its uid, the same on every instance (give deviceId or deviceUid); a uid unknown here must be described in `devices`',
    example: '7f0c6a9e-2f5b-4d0e-9a55-3c1d2b4e5f60',
  })
  deviceUid?: string;

  @ApiPropertyOptional({
    description: 'When the meter was read: ISO-8601 (UTC or with offset) or epoch milliseconds. Default: the time of receipt. At most 5 minutes in the future.',
    example: '2026-11-26T12:00:00Z',
    oneOf: [{ type: 'string', format: 'date-time' }, { type: 'integer' }],
  })
  timestamp?: string | number;

  @ApiProperty({
    description: 'Metric name -> finite number, in canonical units (voltage V, current A, power W, energy Wh, frequency Hz, powerFactor)',
    type: 'object',
    additionalProperties: { type: 'number' },
    example: { voltage: 229.8, current: 1.52, power: 342.1 },
  })
  metrics!: Record<string, number>;

  @ApiPropertyOptional({ description: 'Free-form context kept in the audit trail (at most 2 KB as JSON)', type: 'object', additionalProperties: true })
  extra?: Record<string, unknown>;
}

/** A device as the sending instance knows it, so that this one can create it on first sight. */
export class ForwardedDeviceDto {
  @ApiProperty({ description: 'Device uid, stable across instances', example: '7f0c6a9e-2f5b-4d0e-9a55-3c1d2b4e5f60' })
  uid!: string;

  @ApiProperty({ description: 'Device name at the sender (used when the device is created here)', example: 'Feeder 3' })
  name!: string;

  @ApiPropertyOptional({
    description: "Device type at the sender (modbus, tuya, api); kept as the device's origin here, where it is created as type api and never polled",
    example: 'modbus',
  })
  deviceType?: string;

  @ApiPropertyOptional({ description: 'Meter driver at the sender (e.g. sdm630)', example: 'sdm630' })
  driver?: string;

  @ApiPropertyOptional({
    description: "External id of the device's client at the sender; when the API key's client has an external id, they must match",
    example: 'ACME-01',
  })
  clientExternalId?: string;
}

export class IngestRequestDto {
  @ApiProperty({ description: 'Readings to store, all or nothing (at most 10,000)', type: [ReadingDto] })
  readings!: ReadingDto[];

  @ApiPropertyOptional({
    description:
      "Devices named by uid in `readings`, described so that unknown ones are created under the caller's client (an API key of the client, or its user); a uid of another client is refused with 409",
    type: [ForwardedDeviceDto],
  })
  devices?: ForwardedDeviceDto[];

  @ApiPropertyOptional({
    description: 'api (default), or forward when another instance forwards its stored readings',
    enum: ['api', 'forward'],
    default: 'api',
  })
  source?: 'api' | 'forward';
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
