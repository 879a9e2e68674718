import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsInt, IsOptional, Min } from 'class-validator';

/** `from`/`to` accept ISO-8601 or epoch milliseconds and become epoch milliseconds. */
export const toEpochMs = ({ value }: { value: unknown }) => {
  if (value === undefined || value === '') return undefined;
  if (typeof value === 'string' && /^\d+$/.test(value)) return Number(value);
  const ms = typeof value === 'string' ? Date.parse(value) : NaN;
  return Number.isNaN(ms) ? value : ms;
};

export class TimeRangeQuery {
  @ApiPropertyOptional({ description: 'Start of the period, inclusive (ISO-8601 or epoch ms)', example: '2026-11-26T00:00:00Z', type: String })
  @IsOptional()
  @Transform(toEpochMs)
  @IsInt({ message: 'from must be an ISO-8601 date-time or epoch milliseconds' })
  @Min(0)
  from?: number;

  @ApiPropertyOptional({ description: 'End of the period, inclusive (ISO-8601 or epoch ms)', example: '2026-11-27T00:00:00Z', type: String })
  @IsOptional()
  @Transform(toEpochMs)
  @IsInt({ message: 'to must be an ISO-8601 date-time or epoch milliseconds' })
  @Min(0)
  to?: number;
}
