import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsIn, IsNotEmpty, IsObject, IsOptional, IsString, MaxLength, ValidateNested } from 'class-validator';
import { IsRowId } from '../../common/id-param';
import { HOLIDAY_CALENDARS, MODALITIES, type Modality } from '../tariff-terms';
import { IsCalendarDate, IsHolidays, TariffDemandDto, TariffEnergyDto, TariffTaxesDto, TariffWindowDto } from './tariff-parts.dto';

export class CreateTariffDto {
  @ApiPropertyOptional({
    description: 'The client whose sites all follow this tariff (unless a site has its own); give clientId or siteId, not both',
    example: 1,
  })
  @IsOptional()
  @IsRowId()
  clientId?: number;

  @ApiPropertyOptional({ description: "The site (consumer unit) this tariff is for; it overrides its client's; give clientId or siteId, not both", example: 1 })
  @IsOptional()
  @IsRowId()
  siteId?: number;

  @ApiProperty({ description: 'A name the client recognises (distributor, subgroup, resolution)', example: 'Enel SP B3 branca 2026' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  name!: string;

  @ApiProperty({
    description: 'convencional (one rate), branca (group B time of use: ponta, intermediário), verde (group A, one demand), azul (group A, demand per posto)',
    enum: MODALITIES,
    example: 'branca',
  })
  @IsIn(MODALITIES)
  modality!: Modality;

  @ApiProperty({ description: 'Currency of the rates', enum: ['BRL'], example: 'BRL' })
  @IsIn(['BRL'])
  currency!: 'BRL';

  @ApiProperty({
    description:
      "The local calendar date from which this version applies (from local midnight in the site's time zone) until the next version's; the version in force at a time is the latest validFrom on or before it",
    example: '2026-07-04',
  })
  @IsCalendarDate()
  validFrom!: string;

  @ApiProperty({ description: 'Energy rates per posto, R$/kWh before taxes', type: TariffEnergyDto })
  @IsObject()
  @ValidateNested()
  @Type(() => TariffEnergyDto)
  energy!: TariffEnergyDto;

  @ApiPropertyOptional({ description: 'Demand rates (group A), R$/kW per month before taxes; absent: none', type: TariffDemandDto })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => TariffDemandDto)
  demand?: TariffDemandDto;

  @ApiPropertyOptional({
    description:
      'The ponta and intermediário windows, on quarter hours, not overlapping; the rest of the day is fora de ponta. convencional has none; verde and azul only ponta',
    type: [TariffWindowDto],
    default: [],
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(24)
  @ValidateNested({ each: true })
  @Type(() => TariffWindowDto)
  windows?: TariffWindowDto[];

  @ApiPropertyOptional({
    description: 'Days fora de ponta besides weekends: "BR" (national public holidays, from the date-holidays package) or a list of local dates YYYY-MM-DD',
    oneOf: [
      { type: 'string', enum: [...HOLIDAY_CALENDARS] },
      { type: 'array', items: { type: 'string', format: 'date' } },
    ],
    default: 'BR',
    example: 'BR',
  })
  @IsOptional()
  @IsHolidays()
  holidays?: 'BR' | string[];

  @ApiPropertyOptional({ description: 'Taxes charged por dentro (fractions; they add up to less than 1); absent: none', type: TariffTaxesDto })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => TariffTaxesDto)
  taxes?: TariffTaxesDto;
}
