import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsObject, IsOptional } from 'class-validator';
import { READING_SOURCES, ReadingSource } from '@pieng/shared';
import { IsRowId } from '../../common/id-param';

export const TEST_READ_DEVICE_TYPES = ['modbus', 'tuya'] as const;
export type TestReadDeviceType = (typeof TEST_READ_DEVICE_TYPES)[number];

export class TestReadDto {
  @ApiProperty({ description: 'Kind of device to read: only polled devices (modbus, tuya) can be test-read', enum: TEST_READ_DEVICE_TYPES, example: 'modbus' })
  @IsIn(TEST_READ_DEVICE_TYPES)
  deviceType!: TestReadDeviceType;

  @ApiProperty({
    description: 'Driver settings, validated exactly as when creating a device (see POST /api/devices)',
    type: 'object',
    additionalProperties: true,
    example: { transport: 'tcp', host: '192.168.1.50', port: 502, unitId: 1, driver: 'sdm630' },
  })
  @IsObject()
  config!: Record<string, unknown>;

  @ApiPropertyOptional({
    description: 'When testing the new settings of an existing device: its id, so that secrets left out (write-only) are taken from the stored config',
    example: 1,
  })
  @IsOptional()
  @IsRowId()
  deviceId?: number;
}

export class TestReadMetric {
  @ApiProperty({ description: 'Metric name', example: 'voltage' })
  metric!: string;
  @ApiProperty({ description: "Decoded value in the metric's canonical unit", example: 230.2 })
  value!: number;
  @ApiProperty({ description: 'Canonical unit (V, A, W, Wh, Hz); null when dimensionless or unknown', type: String, nullable: true, example: 'V' })
  unit!: string | null;
}

export class TestReadResponse {
  @ApiProperty({ description: 'How the values were obtained (simulator when the config says simulated)', enum: READING_SOURCES })
  source!: ReadingSource;
  @ApiProperty({ description: 'Time the read took, including the wait for the line, in milliseconds', example: 42.5 })
  durationMs!: number;
  @ApiProperty({ description: 'Decoded values, in the order the meter gave them. Nothing was stored.', type: [TestReadMetric] })
  metrics!: TestReadMetric[];
}
