import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsOptional, ValidateBy } from 'class-validator';
import { parseIsoDateTime } from '../../common/timestamps';

/** Readings are stored from the year 2000 on; a range outside 2000-2100 is a mistake (seconds for milliseconds, a typo). */
const EARLIEST_QUERY_MS = Date.UTC(2000, 0, 1);
const END_OF_2100_MS = Date.UTC(2101, 0, 1);

/** What the transform leaves for a value that is not a time, so that the validator can say why. */
class NotATime {
  constructor(readonly reason: string) {}
}

/**
 * `from`/`to` accept ISO-8601 (strict: 2026-02-30 is refused, not read as 2 March) or epoch milliseconds, and become
 * epoch milliseconds. Anything a Date cannot hold is refused here, so that no later toISOString() throws.
 */
const toEpochMs = ({ value }: { value: unknown }): number | NotATime | undefined => {
  if (value === undefined || value === '') return undefined;
  let ms: number;
  if (typeof value === 'string' && /^\d+$/.test(value)) ms = Number(value);
  else if (typeof value === 'string') {
    const parsed = parseIsoDateTime(value, { allowDateOnly: true });
    if ('error' in parsed) return new NotATime(/^must be/.test(parsed.error) ? `${parsed.error} or epoch milliseconds` : parsed.error);
    ms = parsed.ms;
  } else return new NotATime('must be an ISO-8601 date-time or epoch milliseconds');
  if (ms < EARLIEST_QUERY_MS || ms >= END_OF_2100_MS) return new NotATime('must be between 2000-01-01 and 2100-12-31');
  return ms;
};

const IsTime = () =>
  ValidateBy({
    name: 'isTime',
    validator: {
      validate: (value: unknown) => typeof value === 'number',
      defaultMessage: (args) =>
        `${args?.property} ${args?.value instanceof NotATime ? args.value.reason : 'must be an ISO-8601 date-time or epoch milliseconds'}`,
    },
  });

export class TimeRangeQuery {
  @ApiPropertyOptional({ description: 'Start of the period, inclusive (ISO-8601 or epoch ms)', example: '2026-11-26T00:00:00Z', type: String })
  @IsOptional()
  @Transform(toEpochMs)
  @IsTime()
  from?: number;

  @ApiPropertyOptional({ description: 'End of the period, inclusive (ISO-8601 or epoch ms)', example: '2026-11-27T00:00:00Z', type: String })
  @IsOptional()
  @Transform(toEpochMs)
  @IsTime()
  to?: number;
}
