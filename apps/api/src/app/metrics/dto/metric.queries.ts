import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsInt, IsNumber, IsOptional, IsString, Matches, Max, Min } from 'class-validator';
import { METRIC_NAME_PATTERN } from '@pieng/shared';
import { TimeRangeQuery } from './time-range';
import { IsRowId } from '../../common/id-param';

export const MAX_RAW_LIMIT = 10_000;
export const MAX_SERIES_POINTS = 10_000;

export class RawMetricsQuery extends TimeRangeQuery {
  @ApiProperty({ description: 'Device id' })
  @Type(() => Number)
  @IsRowId()
  deviceId!: number;

  @ApiPropertyOptional({ description: 'Only this metric' })
  @IsOptional()
  @Matches(METRIC_NAME_PATTERN, { message: 'metric must be a metric name such as voltage' })
  metric?: string;

  @ApiPropertyOptional({ description: `Values per page (at most ${MAX_RAW_LIMIT})`, default: 1000 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_RAW_LIMIT)
  limit?: number;

  @ApiPropertyOptional({ description: 'The nextCursor of the previous page' })
  @IsOptional()
  @IsString()
  cursor?: string;
}

export class SeriesQuery extends TimeRangeQuery {
  @ApiProperty({ description: 'Device id' })
  @Type(() => Number)
  @IsRowId()
  deviceId!: number;

  @ApiProperty({ description: 'Comma-separated metric names', example: 'voltage,power', type: String })
  @Transform(({ value }) =>
    typeof value === 'string'
      ? value
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)
      : value,
  )
  @ArrayMinSize(1)
  @ArrayMaxSize(20)
  @Matches(METRIC_NAME_PATTERN, { each: true, message: 'metrics must be metric names such as voltage,power' })
  metrics!: string[];

  @ApiPropertyOptional({
    description: `The most buckets wanted over the period (at most ${MAX_SERIES_POINTS}): the bucket width is the smallest of 1 s, 5 s, 10 s, 30 s, 1 min, 5 min, 15 min, 30 min, 1 h, 3 h, 6 h, 12 h or whole days (in the client's time zone) that gives at most this many. Each point is the average, min, max and count of its bucket. Default period: the last 24 hours.`,
    default: 500,
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_SERIES_POINTS)
  points?: number;
}

export class SummaryQuery extends TimeRangeQuery {
  @ApiProperty({ description: 'Device id' })
  @Type(() => Number)
  @IsRowId()
  deviceId!: number;

  @ApiProperty({ description: 'Metric name', example: 'voltage' })
  @Matches(METRIC_NAME_PATTERN, { message: 'metric must be a metric name such as voltage' })
  metric!: string;

  @ApiPropertyOptional({
    description:
      'Lower specification limit for Cp/Cpk, e.g. 198 for 220 V − 10 %. Without lsl and usl, mean ± 3σ is used, which yields Cp = Cpk = 1 by construction: pass real limits.',
  })
  @IsOptional()
  @Type(() => Number)
  @IsNumber({ allowNaN: false, allowInfinity: false })
  lsl?: number;

  @ApiPropertyOptional({ description: 'Upper specification limit for Cp/Cpk, e.g. 242 for 220 V + 10 %' })
  @IsOptional()
  @Type(() => Number)
  @IsNumber({ allowNaN: false, allowInfinity: false })
  usl?: number;
}

export class LinregQuery extends TimeRangeQuery {
  @ApiProperty({ description: 'Device id' })
  @Type(() => Number)
  @IsRowId()
  deviceId!: number;

  @ApiProperty({ description: '`time` (x = seconds since the Unix epoch) or another metric of the same device, paired by timestamp', example: 'time' })
  @Matches(METRIC_NAME_PATTERN, { message: 'x must be time or a metric name' })
  x!: string;

  @ApiProperty({ description: 'The metric to explain', example: 'energy' })
  @Matches(METRIC_NAME_PATTERN, { message: 'y must be a metric name' })
  y!: string;
}
