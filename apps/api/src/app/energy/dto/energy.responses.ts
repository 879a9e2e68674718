import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ENERGY_INTERVALS, EnergyInterval } from './energy.queries';

export class EnergyIntervalItem {
  @ApiProperty({ description: 'Start of the interval (ISO-8601 UTC)' }) start!: string;
  @ApiProperty({ description: 'End of the interval, exclusive (ISO-8601 UTC)' }) end!: string;
  @ApiProperty({ description: 'Energy imported in the interval (kWh); null when no reading covers it, so that a chart shows a gap', nullable: true, type: Number })
  kWh!: number | null;
  @ApiPropertyOptional({ description: 'Energy exported in the interval (kWh), where a meter counts export; null when no reading covers it', nullable: true, type: Number })
  exportKWh?: number | null;
}

export class EnergyTotal {
  @ApiProperty({ description: 'Energy imported over the period (kWh)' }) kWh!: number;
  @ApiPropertyOptional({ description: 'Energy exported over the period (kWh), where a meter counts export' }) exportKWh?: number;
}

export class EnergyQuality {
  @ApiProperty({ description: 'Counter resets (a drop below 0.9 × the previous reading: the new value counted from 0)' }) resets!: number;
  @ApiProperty({ description: 'Register rollovers counted across the wrap (PZEM-004T: 2^32 Wh)' }) rollovers!: number;
  @ApiProperty({ description: 'Rises left out because they imply more than the device\'s maxPowerW' }) spikes!: number;
  @ApiProperty({ description: 'Energy spread evenly over gaps in the readings longer than max(3 × poll interval, 15 min) (kWh, part of the total)' }) interpolatedKWh!: number;
}

export class EnergyResponse {
  @ApiProperty({ description: 'Unit of the energies', enum: ['kWh'] }) unit!: 'kWh';
  @ApiProperty({ description: "The client's time zone, in which days, weeks and months start at midnight", example: 'America/Sao_Paulo' }) timezone!: string;
  @ApiProperty({ description: 'Width of an interval', enum: ENERGY_INTERVALS }) interval!: EnergyInterval;
  @ApiProperty({ type: [EnergyIntervalItem], description: 'Every interval that overlaps the period, in time order, those without readings included (kWh null)' }) intervals!: EnergyIntervalItem[];
  @ApiProperty({ type: EnergyTotal, description: 'Sums over the intervals' }) total!: EnergyTotal;
  @ApiProperty({ type: EnergyQuality, description: 'What needed care in the intervals' }) quality!: EnergyQuality;
  @ApiPropertyOptional({ description: 'Why there is no energy at all (a device that reports neither an energy counter nor power)', type: String }) reason?: string;
}

export class DemandPoint {
  @ApiProperty({ description: 'Start of the 15-minute window (ISO-8601 UTC)' }) start!: string;
  @ApiProperty({ description: 'Mean active power over the window (kW): D = kWh × 4; null when no reading covers it', nullable: true, type: Number }) kW!: number | null;
}

export class DemandPeak {
  @ApiProperty({ description: 'The highest 15-minute demand (kW)' }) kW!: number;
  @ApiProperty({ description: 'Start of its window (ISO-8601 UTC)' }) at!: string;
}

export class DemandResponse {
  @ApiProperty({ description: 'Width of a demand window', enum: [15] }) intervalMinutes!: 15;
  @ApiProperty({ type: [DemandPoint], description: 'Every window that overlaps the period, in time order' }) points!: DemandPoint[];
  @ApiProperty({ type: DemandPeak, nullable: true, description: 'The highest window; null without readings' }) peak!: DemandPeak | null;
  @ApiPropertyOptional({ description: 'Why there is no demand at all (a device that reports neither an energy counter nor power)', type: String }) reason?: string;
}
