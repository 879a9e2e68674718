import { ApiProperty } from '@nestjs/swagger';
import { IsDateString, IsNotEmpty, IsString, MaxLength } from 'class-validator';

export class ShelveAlarmEventDto {
  @ApiProperty({ description: 'Hidden and muted until this time (ISO-8601, in the future, at most 30 days ahead)', example: '2026-12-01T08:00:00Z' })
  @IsDateString({ strict: true })
  until!: string;

  @ApiProperty({ description: 'Why', example: 'Sensor being replaced' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(1000)
  reason!: string;
}
