import { ApiProperty } from '@nestjs/swagger';
import type { Site } from '../entities/site.entity';

export class ContractedDemandResponse {
  @ApiProperty({
    description: 'Contracted demand fora de ponta, kW (verde: the one contracted demand); null: none',
    nullable: true,
    type: Number,
    example: 300,
  })
  foraPonta!: number | null;
  @ApiProperty({ description: 'Contracted demand in ponta, kW (azul); null: none', nullable: true, type: Number, example: 120 })
  ponta!: number | null;
}

export class SiteResponse {
  @ApiProperty({ description: 'Site id', example: 1 })
  id!: number;
  @ApiProperty({ description: 'The client the site belongs to', example: 1 })
  clientId!: number;
  @ApiProperty({ description: 'Site name', example: 'Fábrica Jundiaí' })
  name!: string;
  @ApiProperty({ description: 'Postal address', nullable: true, type: String })
  address!: string | null;
  @ApiProperty({ description: "The site's own IANA time zone; null follows the client's", nullable: true, type: String, example: null })
  timezone!: string | null;
  @ApiProperty({ description: 'Contracted demand (group A), kW per posto', type: ContractedDemandResponse })
  contractedKW!: ContractedDemandResponse;
  @ApiProperty({ description: 'Day of the month the distributor reads the meter; null: unknown', nullable: true, type: Number, example: 12 })
  readingDay!: number | null;
  @ApiProperty({
    description: "The device that measures the site's total; null: the sum of its devices that are not submeters",
    nullable: true,
    type: Number,
    example: null,
  })
  mainDeviceId!: number | null;
  @ApiProperty({ description: 'When the site was created (ISO-8601 UTC)', example: '2026-11-30T12:00:00.000Z' })
  createdAt!: string;

  static from(s: Site): SiteResponse {
    return {
      id: s.id,
      clientId: s.clientId,
      name: s.name,
      address: s.address,
      timezone: s.timezone,
      contractedKW: { foraPonta: s.contractedKWForaPonta, ponta: s.contractedKWPonta },
      readingDay: s.readingDay,
      mainDeviceId: s.mainDeviceId,
      createdAt: new Date(s.createdAt).toISOString(),
    };
  }
}
