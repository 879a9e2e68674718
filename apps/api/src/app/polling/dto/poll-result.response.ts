import { ApiProperty } from '@nestjs/swagger';
import { READING_SOURCES, ReadingSource } from '@pieng/shared';

export class PollResultResponse {
  @ApiProperty({ description: 'The device that was read', example: 1 })
  deviceId!: number;
  @ApiProperty({ description: 'Time the reading was stored under (ISO-8601 UTC)', example: '2026-11-26T12:00:00.000Z' })
  ts!: string;
  @ApiProperty({ description: 'How the reading was obtained (simulator when the device config says simulated)', enum: READING_SOURCES })
  source!: ReadingSource;
  @ApiProperty({ description: 'Time the read took, including the wait for the line, in milliseconds', example: 42.5 })
  durationMs!: number;
  @ApiProperty({
    description: 'Decoded values in canonical units (V, A, W, Wh, Hz), as stored',
    type: 'object',
    additionalProperties: { type: 'number' },
    example: { voltage: 230.2, current: 1, power: 207.2, energy: 12345 },
  })
  metrics!: Record<string, number>;
}

export class ResetEnergyResponse {
  @ApiProperty({ description: 'The device whose energy counter was reset', example: 1 })
  deviceId!: number;
  @ApiProperty({ description: 'Always true: the meter acknowledged the reset', example: true })
  reset!: boolean;
}
