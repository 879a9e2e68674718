import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsIn, IsInt, IsObject, IsOptional, Matches, Max, Min, ValidateNested } from 'class-validator';
import { REGISTER_TYPES, type RegisterType } from '@pieng/connectors';
import { METRIC_NAME_PATTERN } from '@pieng/shared';

export class DetectRegisterDto {
  @ApiProperty({ description: 'Metric the register holds (its default expected range comes from the metric list)', example: 'voltage' })
  @Matches(METRIC_NAME_PATTERN, { message: 'must be a metric name (a letter, then letters, digits, _ or .)' })
  metric!: string;

  @ApiProperty({ description: 'Function code: 3 holding, 4 input', enum: [3, 4], example: 4 })
  @IsIn([3, 4])
  function!: 3 | 4;

  @ApiProperty({ description: 'Register address (0-65535)', example: 0 })
  @IsInt()
  @Min(0)
  @Max(65535)
  address!: number;

  @ApiPropertyOptional({ description: 'The type the register map declares for it, if any: it wins a tie', enum: REGISTER_TYPES, example: 'float32' })
  @IsOptional()
  @IsIn(REGISTER_TYPES)
  type?: RegisterType;
}

export class DetectLayoutDto {
  @ApiProperty({
    description: "The line: a Modbus device's config without its slave id / unit id, as for a line scan",
    type: 'object',
    additionalProperties: true,
    example: { transport: 'tcp', host: '192.168.1.50', port: 502 },
  })
  @IsObject()
  connection!: Record<string, unknown>;

  @ApiPropertyOptional({ description: 'Slave id of the meter (RTU and RTU over TCP; 1-247)', example: 1 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(247)
  slaveId?: number;

  @ApiPropertyOptional({ description: 'Unit id of the meter (Modbus TCP; 0-255)', example: 1 })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(255)
  unitId?: number;

  @ApiProperty({ description: 'The registers to decode (1-50), each read once', type: [DetectRegisterDto] })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(50)
  @ValidateNested({ each: true })
  @Type(() => DetectRegisterDto)
  registers!: DetectRegisterDto[];

  @ApiPropertyOptional({
    description:
      'Expected ranges per metric, [min, max] in its canonical unit, over the defaults (voltage 80-300 V, frequency 45-65 Hz, power factor -1..1, ...)',
    type: 'object',
    additionalProperties: { type: 'array', items: { type: 'number' } },
    example: { voltage: [200, 250], energy: [100000, 200000] },
  })
  @IsOptional()
  @IsObject()
  expect?: Record<string, [number, number]>;
}

export class LayoutCandidateResponse {
  @ApiProperty({ description: 'Register type', enum: REGISTER_TYPES, example: 'float32' })
  type!: RegisterType;
  @ApiProperty({ description: 'Word/byte order', enum: ['ABCD', 'CDAB', 'BADC', 'DCBA'], example: 'CDAB' })
  order!: string;
  @ApiProperty({ description: 'Scale (value = raw × scale)', example: 1 })
  scale!: number;
  @ApiProperty({ description: 'The value this decoding gives', example: 230.5 })
  value!: number;
  @ApiProperty({ description: "How many of the request's registers fall in range with this type and order", example: 2 })
  layoutVotes!: number;
}

export class DetectedRegisterResponse {
  @ApiProperty({ description: 'Metric', example: 'voltage' })
  metric!: string;
  @ApiProperty({ description: 'Function code', example: 4 })
  function!: number;
  @ApiProperty({ description: 'Register address', example: 0 })
  address!: number;
  @ApiProperty({ description: 'The words read (up to 4, fewer where the meter has no more registers)', type: [Number], example: [32768, 17254, 0, 16968] })
  words!: number[];
  @ApiProperty({ description: 'The expected range used, [min, max]', type: [Number], example: [80, 300] })
  range!: number[];
  @ApiProperty({ description: 'Up to 3 decodings whose value is in range, best first (empty: none fits)', type: [LayoutCandidateResponse] })
  candidates!: LayoutCandidateResponse[];
}

export class DetectLayoutResponse {
  @ApiProperty({ description: 'One entry per register asked, in order', type: [DetectedRegisterResponse] })
  registers!: DetectedRegisterResponse[];
}
