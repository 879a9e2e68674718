import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsOptional, Max, Min } from 'class-validator';

const days = (what: string) => ({
  description: `Days ${what} of this client are kept (a whole number, 1-36500); null goes back to the platform's default`,
  nullable: true,
  type: Number,
  minimum: 1,
  maximum: 36500,
  example: 365,
});

/**
 * A client's own retention per resolution, set by platform staff only. A field left out is left
 * as it is; null means the platform's default (RETENTION_RAW_DAYS and the like).
 */
export class ClientRetentionDto {
  @ApiPropertyOptional(days('the raw readings'))
  @IsOptional()
  @IsInt({ message: 'must be a whole number of days' })
  @Min(1)
  @Max(36500)
  rawDays?: number | null;

  @ApiPropertyOptional(days('the 1-minute rollups'))
  @IsOptional()
  @IsInt({ message: 'must be a whole number of days' })
  @Min(1)
  @Max(36500)
  oneMinuteDays?: number | null;

  @ApiPropertyOptional(days('the 15-minute rollups'))
  @IsOptional()
  @IsInt({ message: 'must be a whole number of days' })
  @Min(1)
  @Max(36500)
  fifteenMinuteDays?: number | null;

  @ApiPropertyOptional(days('the 1-hour rollups'))
  @IsOptional()
  @IsInt({ message: 'must be a whole number of days' })
  @Min(1)
  @Max(36500)
  oneHourDays?: number | null;
}
