import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsNotEmpty, IsObject, IsOptional, IsString, Max, MaxLength, Min, ValidateNested } from 'class-validator';
import { IsRowId } from '../../common/id-param';
import { ContractedDemandDto } from './contracted-demand.dto';
import { IsSiteTimeZone } from './site-fields';

export class CreateSiteDto {
  @ApiProperty({ description: 'The client (tenant) the site belongs to', example: 1 })
  @IsRowId()
  clientId!: number;

  @ApiProperty({ description: 'A name the client recognises (the plant, the building, the consumer unit)', example: 'Fábrica Jundiaí' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  name!: string;

  @ApiPropertyOptional({ description: 'Postal address of the consumer unit', nullable: true, type: String, example: 'Rod. Anhanguera km 58, Jundiaí - SP' })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  address?: string | null;

  @ApiPropertyOptional({
    description: "IANA time zone of the site's days, tariff windows and months; null or absent follows the client's",
    nullable: true,
    type: String,
    example: 'America/Sao_Paulo',
  })
  @IsOptional()
  @IsSiteTimeZone()
  timezone?: string | null;

  @ApiPropertyOptional({ description: 'Contracted demand (group A), kW per posto', type: ContractedDemandDto })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => ContractedDemandDto)
  contractedKW?: ContractedDemandDto;

  @ApiPropertyOptional({
    description: "Day of the month the distributor reads the meter (the billing cycle's end), 1-31; null: unknown",
    nullable: true,
    type: Number,
    minimum: 1,
    maximum: 31,
    example: 12,
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(31)
  readingDay?: number | null;
}
