import { ApiProperty } from '@nestjs/swagger';
import type { Tariff } from '../entities/tariff.entity';
import { MODALITIES, type Modality } from '../tariff-terms';
import { TariffDemandDto, TariffEnergyDto, TariffTaxesDto, TariffWindowDto } from './tariff-parts.dto';

export class TariffResponse {
  @ApiProperty({ description: 'Tariff version id', example: 1 })
  id!: number;
  @ApiProperty({ description: "The client it is for; null when it is a site's", nullable: true, type: Number, example: 1 })
  clientId!: number | null;
  @ApiProperty({ description: "The site it is for; null when it is a client's", nullable: true, type: Number, example: null })
  siteId!: number | null;
  @ApiProperty({ description: 'Name', example: 'Enel SP B3 branca 2026' })
  name!: string;
  @ApiProperty({ description: 'Modality', enum: MODALITIES, example: 'branca' })
  modality!: Modality;
  @ApiProperty({ description: 'Currency of the rates', enum: ['BRL'], example: 'BRL' })
  currency!: 'BRL';
  @ApiProperty({ description: 'Local calendar date from which this version applies', example: '2026-07-04' })
  validFrom!: string;
  @ApiProperty({ description: 'Energy rates, R$/kWh before taxes', type: TariffEnergyDto })
  energy!: TariffEnergyDto;
  @ApiProperty({ description: 'Demand rates, R$/kW per month before taxes', type: TariffDemandDto })
  demand!: TariffDemandDto;
  @ApiProperty({ description: 'Ponta and intermediário windows', type: [TariffWindowDto] })
  windows!: TariffWindowDto[];
  @ApiProperty({
    description: '"BR" (national holidays) or a list of local dates',
    oneOf: [
      { type: 'string', enum: ['BR'] },
      { type: 'array', items: { type: 'string', format: 'date' } },
    ],
    example: 'BR',
  })
  holidays!: 'BR' | string[];
  @ApiProperty({ description: 'Taxes por dentro (fractions)', type: TariffTaxesDto })
  taxes!: TariffTaxesDto;
  @ApiProperty({ description: 'When it was entered (ISO-8601 UTC)', example: '2026-11-30T12:00:00.000Z' })
  createdAt!: string;

  static from(t: Tariff): TariffResponse {
    return {
      id: t.id,
      clientId: t.clientId,
      siteId: t.siteId,
      name: t.name,
      modality: t.modality,
      currency: t.currency,
      validFrom: t.validFrom,
      energy: t.energy,
      demand: t.demand,
      windows: t.windows,
      holidays: t.holidays,
      taxes: t.taxes,
      createdAt: new Date(t.createdAt).toISOString(),
    };
  }
}
