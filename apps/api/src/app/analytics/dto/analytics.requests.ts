import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsIn, IsInt, IsNumber, IsObject, IsOptional, IsString, Matches, Max, MaxLength, Min, ValidateNested } from 'class-validator';
import { METRIC_NAME_PATTERN } from '@pieng/shared';
import { IsRowId, MAX_ROW_ID } from '../../common/id-param';
import { TimeRangeQuery } from '../../metrics/dto/time-range';
import { MAX_EXPRESSION_LENGTH } from '../virtual-meter-expression';

export const BASELINE_INTERVALS = ['day', 'week', 'month'] as const;
export type BaselineInterval = (typeof BASELINE_INTERVALS)[number];
export const DRIVER_TRANSFORMS = ['sum', 'mean', 'cdd', 'hdd'] as const;
export type DriverTransform = (typeof DRIVER_TRANSFORMS)[number];
export const MAX_DRIVERS = 10;

export class BaselineDriverDto {
  @ApiProperty({ description: 'Device whose metric explains the energy (same client as the metered device)', example: 7 })
  @IsRowId()
  deviceId!: number;

  @ApiProperty({ description: 'Metric of that device', example: 'temperature' })
  @Matches(METRIC_NAME_PATTERN, { message: 'metric must be a metric name such as temperature' })
  metric!: string;

  @ApiProperty({
    description: 'sum or mean of the metric over each interval, or cooling/heating degree-days from its daily mean (CDD = Σ max(0, Tmean − base))',
    enum: DRIVER_TRANSFORMS,
    example: 'cdd',
  })
  @IsIn(DRIVER_TRANSFORMS, { message: `transform must be one of ${DRIVER_TRANSFORMS.join(', ')}` })
  transform!: DriverTransform;

  @ApiPropertyOptional({ description: 'Base temperature of cdd/hdd (°C)', example: 22 })
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(-50)
  @Max(60)
  base?: number;
}

export class FitBaselineDto extends TimeRangeQuery {
  @ApiProperty({ description: 'Device whose energy is modelled (a meter or a virtual meter)', example: 12 })
  @IsRowId()
  deviceId!: number;

  @ApiProperty({
    description: "Width of a point: a day, a week (from Monday) or a calendar month in the device's time zone",
    enum: BASELINE_INTERVALS,
    example: 'day',
  })
  @IsIn(BASELINE_INTERVALS, { message: `interval must be one of ${BASELINE_INTERVALS.join(', ')}` })
  interval!: BaselineInterval;

  @ApiProperty({ description: `Independent variables (at most ${MAX_DRIVERS}); none fits a constant`, type: [BaselineDriverDto] })
  @IsArray()
  @ArrayMaxSize(MAX_DRIVERS)
  @ValidateNested({ each: true })
  @Type(() => BaselineDriverDto)
  drivers!: BaselineDriverDto[];
}

export class SaveBaselineDto extends FitBaselineDto {
  @ApiProperty({ description: 'Name of the saved baseline', example: 'Plant 2025, production and CDD' })
  @IsString()
  @MaxLength(200)
  @Matches(/\S/, { message: 'name must not be blank' })
  name!: string;
}

export class BaselineListQuery {
  @ApiPropertyOptional({ description: 'Only the baselines of this device', example: 12 })
  @IsOptional()
  @Type(() => Number)
  @IsRowId()
  deviceId?: number;
}

export class SavingsQuery extends TimeRangeQuery {}

/** Whose consumption: one device or every device of a client. */
export class DeviceOrClientQuery extends TimeRangeQuery {
  @ApiPropertyOptional({ description: 'One device (give deviceId or clientId)', example: 12 })
  @IsOptional()
  @Type(() => Number)
  @IsRowId()
  deviceId?: number;

  @ApiPropertyOptional({ description: 'Every device of a client (give deviceId or clientId)', example: 3 })
  @IsOptional()
  @Type(() => Number)
  @IsRowId()
  clientId?: number;
}

export class AnomaliesQuery extends DeviceOrClientQuery {
  @ApiPropertyOptional({ description: 'Only the hours scored as anomalies (|z| > 3.5)', example: false })
  @IsOptional()
  @Transform(({ value }) => (value === 'true' ? true : value === 'false' ? false : value))
  @IsIn([true, false], { message: 'onlyAnomalies must be true or false' })
  onlyAnomalies?: boolean;
}

export class ForecastQuery {
  @ApiPropertyOptional({ description: 'One device (give deviceId or clientId)', example: 12 })
  @IsOptional()
  @Type(() => Number)
  @IsRowId()
  deviceId?: number;

  @ApiPropertyOptional({ description: "A client's devices (give deviceId or clientId)", example: 3 })
  @IsOptional()
  @Type(() => Number)
  @IsRowId()
  clientId?: number;

  @ApiPropertyOptional({
    description: 'The instant the forecast is made at (ISO-8601 or epoch ms); default now',
    example: '2026-11-20T15:00:00Z',
    type: String,
  })
  @IsOptional()
  @Transform(({ value }) => (typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : typeof value === 'string' ? Date.parse(value) : value))
  @IsNumber({ allowNaN: false }, { message: 'at must be an ISO-8601 date-time or epoch milliseconds' })
  @Min(Date.UTC(2000, 0, 1), { message: 'at must be after 2000-01-01' })
  @Max(Date.UTC(2101, 0, 1), { message: 'at must be before 2101-01-01' })
  at?: number;
}

export class VoltageQualityQuery extends TimeRangeQuery {
  @ApiProperty({ description: 'Device measuring voltage (voltage, or voltageL1..L3 per phase)', example: 12 })
  @Type(() => Number)
  @IsRowId()
  deviceId!: number;

  @ApiPropertyOptional({ description: 'Nominal voltage (V) whose PRODIST Módulo 8 ranges apply: 127, 220 or 380', example: 220, default: 220 })
  @IsOptional()
  @Type(() => Number)
  @IsNumber({ allowNaN: false, allowInfinity: false }, { message: 'nominal must be a voltage such as 220' })
  nominal?: number;
}

export class BalanceQuery extends TimeRangeQuery {
  @ApiPropertyOptional({
    description: 'A site: its main meter against its devices marked submeter (give siteId, or mainDeviceId and subDeviceIds)',
    example: 2,
  })
  @IsOptional()
  @Type(() => Number)
  @IsRowId()
  siteId?: number;

  @ApiPropertyOptional({ description: 'The main meter', example: 12 })
  @IsOptional()
  @Type(() => Number)
  @IsRowId()
  mainDeviceId?: number;

  @ApiPropertyOptional({ description: 'Comma-separated sub-meter ids', example: '13,14', type: String })
  @IsOptional()
  @Transform(({ value }) => (typeof value === 'string' ? value.split(',').map((s) => Number(s.trim())) : value))
  @IsArray()
  @ArrayMaxSize(200)
  @IsInt({ each: true, message: 'subDeviceIds must be device ids' })
  @Min(1, { each: true, message: 'subDeviceIds must be device ids' })
  @Max(MAX_ROW_ID, { each: true, message: 'subDeviceIds must be device ids' })
  subDeviceIds?: number[];

  @ApiPropertyOptional({ description: 'A day whose unmetered share is above this (%) is flagged', example: 10, default: 10 })
  @IsOptional()
  @Type(() => Number)
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(100)
  thresholdPct?: number;
}

export class CheckExpressionDto {
  @ApiProperty({
    description: 'Input names and the device each stands for (devices of one client)',
    type: 'object',
    additionalProperties: { type: 'integer' },
    example: { main: 12, a: 13, b: 14 },
  })
  @IsObject()
  inputs!: Record<string, number>;

  @ApiProperty({ description: `The expression (at most ${MAX_EXPRESSION_LENGTH} characters)`, example: 'main.power - (a.power + b.power)' })
  @IsString()
  expression!: string;
}
