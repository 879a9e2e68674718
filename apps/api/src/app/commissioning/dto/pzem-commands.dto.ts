import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsNumber, IsOptional, Max, Min } from 'class-validator';

export class PzemAddressDto {
  // Required, but checked after the device is found: another client's device answers 404 whatever the body.
  @ApiProperty({ description: 'The new Modbus address of the meter (1-247); must be free on its line', example: 2 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(247)
  newAddress?: number;
}

export class PzemAddressResponse {
  @ApiProperty({ description: 'The device', example: 1 })
  deviceId!: number;
  @ApiProperty({ description: 'The address it had (248 = the general address 0xF8)', example: 248 })
  from!: number;
  @ApiProperty({ description: 'The address the meter confirmed and the device config now holds', example: 2 })
  to!: number;
  @ApiProperty({
    description:
      'How the meter confirmed it: `echo` (its reply to the write) or `probe` (the reply was lost or garbled, and the meter answered a read at the new address)',
    enum: ['echo', 'probe'],
    example: 'echo',
  })
  confirmedBy!: 'echo' | 'probe';
}

export class PzemAlarmThresholdDto {
  @ApiPropertyOptional({ description: 'PZEM-004T: power alarm threshold in W (0-65535, 1 W steps)', example: 2300 })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(65535)
  watts?: number;

  @ApiPropertyOptional({ description: 'PZEM-017: high-voltage alarm threshold in V (0-655.35, 0.01 V steps)', example: 300 })
  @IsOptional()
  @IsNumber({ maxDecimalPlaces: 2 })
  @Min(0)
  @Max(655.35)
  highVolts?: number;

  @ApiPropertyOptional({ description: 'PZEM-017: low-voltage alarm threshold in V (0-655.35, below highVolts)', example: 7 })
  @IsOptional()
  @IsNumber({ maxDecimalPlaces: 2 })
  @Min(0)
  @Max(655.35)
  lowVolts?: number;
}

export class PzemAlarmThresholdResponse {
  @ApiProperty({ description: 'The device', example: 1 })
  deviceId!: number;
  @ApiPropertyOptional({ description: 'PZEM-004T: the threshold written, in W', example: 2300 })
  watts?: number;
  @ApiPropertyOptional({ description: 'PZEM-017: the high-voltage threshold written, in V', example: 300 })
  highVolts?: number;
  @ApiPropertyOptional({ description: 'PZEM-017: the low-voltage threshold written, in V', example: 7 })
  lowVolts?: number;
}
