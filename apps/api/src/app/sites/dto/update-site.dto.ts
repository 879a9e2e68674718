import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsNotEmpty, IsObject, IsOptional, IsString, Max, MaxLength, Min, ValidateIf, ValidateNested } from 'class-validator';
import { MAX_ROW_ID } from '../../common/id-param';
import { ContractedDemandDto } from './contracted-demand.dto';
import { IsSiteTimeZone } from './site-fields';

/** What may change on a site; a field left out stays as it is. A site never moves to another client. */
export class UpdateSiteDto {
  @ApiPropertyOptional({ description: 'A name the client recognises', example: 'Fábrica Jundiaí' })
  // Present means a name: null would empty a column every site has.
  @ValidateIf((_, v) => v !== undefined)
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  name?: string;

  @ApiPropertyOptional({ description: 'Postal address of the consumer unit; null clears it', nullable: true, type: String })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  address?: string | null;

  @ApiPropertyOptional({ description: "IANA time zone of the site; null follows the client's", nullable: true, type: String, example: 'America/Sao_Paulo' })
  @IsOptional()
  @IsSiteTimeZone()
  timezone?: string | null;

  @ApiPropertyOptional({ description: 'Contracted demand (group A), kW per posto; a posto left out stays as it is, null clears it', type: ContractedDemandDto })
  @ValidateIf((_, v) => v !== undefined)
  @IsObject()
  @ValidateNested()
  @Type(() => ContractedDemandDto)
  contractedKW?: ContractedDemandDto;

  @ApiPropertyOptional({
    description: 'Day of the month the distributor reads the meter, 1-31; null: unknown',
    nullable: true,
    type: Number,
    minimum: 1,
    maximum: 31,
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(31)
  readingDay?: number | null;

  @ApiPropertyOptional({
    description:
      "The device that measures the site's total (the distributor's meter or one at the incomer); it must belong to this site. null: the total is the sum of the site's devices that are not submeters",
    nullable: true,
    type: Number,
    example: 7,
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_ROW_ID)
  mainDeviceId?: number | null;
}
