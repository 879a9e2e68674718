import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsBoolean, IsIn, IsOptional, Matches } from 'class-validator';
import { METRIC_NAME_PATTERN } from '@pieng/shared';
import { IsRowId } from '../../common/id-param';
import { TimeRangeQuery } from '../../metrics/dto/time-range';
import { ENERGY_INTERVALS, EnergyInterval } from '../../energy/dto/energy.queries';

export const EXPORT_FORMATS = ['csv', 'xlsx'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];
export const EXPORT_LOCALES = ['en', 'pt-BR'] as const;
export type ExportLocale = (typeof EXPORT_LOCALES)[number];
export const EXPORT_RESOLUTIONS = ['raw', '1m', '15m', '1h'] as const;
export type ExportResolution = (typeof EXPORT_RESOLUTIONS)[number];

/** A raw export longer than this is refused (a rollup covers it in far fewer rows). */
export const MAX_RAW_EXPORT_DAYS = 400;

class ExportFileQuery extends TimeRangeQuery {
  @ApiPropertyOptional({ description: 'File format', enum: EXPORT_FORMATS, default: 'csv', example: 'csv' })
  @IsOptional()
  @IsIn(EXPORT_FORMATS, { message: `format must be one of ${EXPORT_FORMATS.join(', ')}` })
  format?: ExportFormat;

  @ApiPropertyOptional({
    description:
      'How numbers are written in a CSV: en (comma separator, decimal point) or pt-BR (semicolon separator, decimal comma, UTF-8 byte-order mark so that Excel in Brazil opens it right)',
    enum: EXPORT_LOCALES,
    default: 'en',
    example: 'pt-BR',
  })
  @IsOptional()
  @IsIn(EXPORT_LOCALES, { message: `locale must be one of ${EXPORT_LOCALES.join(', ')}` })
  locale?: ExportLocale;
}

export class ReadingsExportQuery extends ExportFileQuery {
  @ApiProperty({ description: 'Device id', example: 1 })
  @Type(() => Number)
  @IsRowId()
  deviceId!: number;

  @ApiProperty({ description: 'Comma-separated metric names, one column each', example: 'voltage,power', type: String })
  @Transform(({ value }) =>
    typeof value === 'string'
      ? value
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)
      : value,
  )
  @ArrayMinSize(1, { message: 'metrics must name at least one metric' })
  @ArrayMaxSize(20, { message: 'metrics may name at most 20 metrics' })
  @Matches(METRIC_NAME_PATTERN, { each: true, message: 'metrics must be metric names such as voltage,power' })
  metrics!: string[];

  @ApiPropertyOptional({
    description: `raw: one row per stored reading; 1m, 15m, 1h: one row per rollup bucket (its start, the mean of each metric, the sources seen in it). Raw exports cover at most ${MAX_RAW_EXPORT_DAYS} days. Default period: the last 24 hours`,
    enum: EXPORT_RESOLUTIONS,
    default: 'raw',
    example: '15m',
  })
  @IsOptional()
  @IsIn(EXPORT_RESOLUTIONS, { message: `resolution must be one of ${EXPORT_RESOLUTIONS.join(', ')}` })
  resolution?: ExportResolution;

  @ApiPropertyOptional({ description: 'At a rollup resolution, add a min and a max column per metric', default: false, example: true })
  @IsOptional()
  @Transform(({ value }) => (value === 'true' ? true : value === 'false' ? false : value))
  @IsBoolean({ message: 'minMax must be true or false' })
  minMax?: boolean;
}

export class EnergyExportQuery extends ExportFileQuery {
  @ApiPropertyOptional({ description: 'One device (give one of deviceId, siteId, clientId)', example: 1 })
  @IsOptional()
  @Type(() => Number)
  @IsRowId()
  deviceId?: number;

  @ApiPropertyOptional({ description: "A site's total (give one of deviceId, siteId, clientId)", example: 1 })
  @IsOptional()
  @Type(() => Number)
  @IsRowId()
  siteId?: number;

  @ApiPropertyOptional({ description: "A client's total (give one of deviceId, siteId, clientId)", example: 1 })
  @IsOptional()
  @Type(() => Number)
  @IsRowId()
  clientId?: number;

  @ApiPropertyOptional({ description: 'Width of a row, as in GET /api/energy', enum: ENERGY_INTERVALS, default: 'hour', example: 'day' })
  @IsOptional()
  @IsIn(ENERGY_INTERVALS, { message: `interval must be one of ${ENERGY_INTERVALS.join(', ')}` })
  interval?: EnergyInterval;
}
