import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsOptional } from 'class-validator';
import { IsRowId } from '../../common/id-param';
import { TimeRangeQuery } from '../../metrics/dto/time-range';

export const ENERGY_INTERVALS = ['15m', 'hour', 'day', 'week', 'month'] as const;
export type EnergyInterval = (typeof ENERGY_INTERVALS)[number];
/** The most intervals (or demand points) one answer holds. */
export const MAX_ENERGY_INTERVALS = 50_000;

/** Whose energy: one device, a site's total, or a client's total. */
export class EnergyScopeQuery extends TimeRangeQuery {
  @ApiPropertyOptional({ description: 'One device (give one of deviceId, siteId, clientId)', example: 1 })
  @IsOptional()
  @Type(() => Number)
  @IsRowId()
  deviceId?: number;

  @ApiPropertyOptional({
    description:
      "A site's total: its main meter when one is set, else its active devices not marked submeter, simulated ones left out (give one of deviceId, siteId, clientId)",
    example: 1,
  })
  @IsOptional()
  @Type(() => Number)
  @IsRowId()
  siteId?: number;

  @ApiPropertyOptional({ description: "A client's total: the sum of its sites' totals (give one of deviceId, siteId, clientId)", example: 1 })
  @IsOptional()
  @Type(() => Number)
  @IsRowId()
  clientId?: number;
}

export class EnergyQuery extends EnergyScopeQuery {
  @ApiPropertyOptional({
    description:
      "Width of an interval: 15 minutes, an hour, or a day, a week (from Monday) or a calendar month in the client's time zone. Default period: the last 24 hours",
    enum: ENERGY_INTERVALS,
    default: 'hour',
  })
  @IsOptional()
  @IsIn(ENERGY_INTERVALS, { message: `interval must be one of ${ENERGY_INTERVALS.join(', ')}` })
  interval?: EnergyInterval;
}

export class DemandQuery extends EnergyScopeQuery {}
