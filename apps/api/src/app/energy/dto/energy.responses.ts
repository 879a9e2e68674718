import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ENERGY_INTERVALS, EnergyInterval } from './energy.queries';

export class PostoEnergy {
  @ApiProperty({ description: 'Energy in the posto (kWh)' }) kWh!: number;
  @ApiProperty({ description: 'Its cost in the currency of the tariff, taxes and bandeira included (BRL)' }) cost!: number;
}

/** Energy split by the tariff's time-of-use periods (postos tarifários). */
export class PostoSplit {
  @ApiProperty({ type: PostoEnergy, description: 'Fora de ponta (off-peak; all day on weekends and national holidays)' }) foraPonta!: PostoEnergy;
  @ApiProperty({ type: PostoEnergy, description: 'Intermediário (shoulder; tarifa branca only)' }) intermediario!: PostoEnergy;
  @ApiProperty({ type: PostoEnergy, description: 'Ponta (peak)' }) ponta!: PostoEnergy;
}

export class EnergyQuality {
  @ApiProperty({ description: 'Counter resets (a drop below 0.9 × the previous reading: the new value counted from 0)' }) resets!: number;
  @ApiProperty({ description: 'Register rollovers counted across the wrap (PZEM-004T: 2^32 Wh)' }) rollovers!: number;
  @ApiProperty({ description: "Rises left out because they imply more than the device's maxPowerW" }) spikes!: number;
  @ApiProperty({ description: 'Energy spread evenly over gaps in the readings longer than max(3 × poll interval, 15 min) (kWh, part of the total)' })
  interpolatedKWh!: number;
}

export class EnergyIntervalItem {
  @ApiProperty({ description: 'Start of the interval (ISO-8601 UTC)' }) start!: string;
  @ApiProperty({ description: 'End of the interval, exclusive (ISO-8601 UTC)' }) end!: string;
  @ApiProperty({
    description: 'Energy imported in the interval (kWh); null when no reading covers it, so that a chart shows a gap',
    nullable: true,
    type: Number,
  })
  kWh!: number | null;
  @ApiPropertyOptional({
    description: 'Energy exported in the interval (kWh), where a meter counts export; null when no reading covers it',
    nullable: true,
    type: Number,
  })
  exportKWh?: number | null;
  @ApiPropertyOptional({
    description:
      'Cost of the energy in the interval (BRL, taxes and bandeira included) where a tariff applies; null without readings or before the first tariff version',
    nullable: true,
    type: Number,
  })
  cost?: number | null;
  @ApiPropertyOptional({ type: PostoSplit, description: 'kWh and cost by posto where a tariff applies' })
  byPosto?: PostoSplit;
  @ApiPropertyOptional({
    type: EnergyQuality,
    description: 'What needed care in this interval; present only where something did (a reset, a rollover, a spike, energy spread over a gap)',
  })
  quality?: EnergyQuality;
  @ApiPropertyOptional({
    description:
      'Excess reactive energy (kWh): hours with a power factor below 0.92 add kWh × (0.92 / PF − 1); present where a meter reports power factor or reactive power (not in 15m intervals: it is judged hour by hour)',
  })
  reactiveExcessKWh?: number;
  @ApiPropertyOptional({ description: 'What the excess reactive energy costs (BRL, taxes included) where the tariff gives a rate for it' })
  reactiveExcessCost?: number;
}

export class EnergyTotal {
  @ApiProperty({ description: 'Energy imported over the period (kWh)' }) kWh!: number;
  @ApiPropertyOptional({ description: 'Energy exported over the period (kWh), where a meter counts export' }) exportKWh?: number;
  @ApiPropertyOptional({ description: 'Cost of the energy over the period (BRL, taxes and bandeira included) where a tariff applies' }) cost?: number;
  @ApiPropertyOptional({ type: PostoSplit, description: 'kWh and cost by posto where a tariff applies' }) byPosto?: PostoSplit;
  @ApiPropertyOptional({ description: 'kWh not priced: used before the first tariff version, or by a site without a tariff' }) unpricedKWh?: number;
  @ApiPropertyOptional({
    description: 'Excess reactive energy over the period (kWh; power factor below 0.92, hour by hour), where a meter reports power factor or reactive power',
  })
  reactiveExcessKWh?: number;
  @ApiPropertyOptional({ description: 'Its cost (BRL, taxes included) where the tariff gives a rate for it; not part of `cost`' }) reactiveExcessCost?: number;
}

export class EnergyResponse {
  @ApiProperty({ description: 'Unit of the energies', enum: ['kWh'] }) unit!: 'kWh';
  @ApiProperty({ description: "The client's time zone, in which days, weeks and months start at midnight", example: 'America/Sao_Paulo' }) timezone!: string;
  @ApiProperty({ description: 'Width of an interval', enum: ENERGY_INTERVALS }) interval!: EnergyInterval;
  @ApiProperty({
    type: [EnergyIntervalItem],
    description: 'Every interval that overlaps the period, in time order, those without readings included (kWh null)',
  })
  intervals!: EnergyIntervalItem[];
  @ApiProperty({ type: EnergyTotal, description: 'Sums over the intervals' }) total!: EnergyTotal;
  @ApiProperty({ type: EnergyQuality, description: 'What needed care in the intervals' }) quality!: EnergyQuality;
  @ApiPropertyOptional({ description: 'Why there is no energy at all (a device that reports neither an energy counter nor power)', type: String })
  reason?: string;
  @ApiPropertyOptional({ description: '`virtual` for a virtual meter: computed from its inputs on each query, never stored', enum: ['virtual'] })
  source?: 'virtual';
}

export class DemandPoint {
  @ApiProperty({ description: 'Start of the 15-minute window (ISO-8601 UTC)' }) start!: string;
  @ApiProperty({ description: 'Mean active power over the window (kW): D = kWh × 4; null when no reading covers it', nullable: true, type: Number }) kW!:
    | number
    | null;
}

export class DemandPeak {
  @ApiProperty({ description: 'The highest 15-minute demand (kW)' }) kW!: number;
  @ApiProperty({ description: 'Start of its window (ISO-8601 UTC)' }) at!: string;
}

export class DemandByPosto {
  @ApiProperty({ type: DemandPeak, nullable: true, description: 'The highest window outside the ponta hours (intermediário included); null without readings' })
  foraPonta!: DemandPeak | null;
  @ApiProperty({ type: DemandPeak, nullable: true, description: 'The highest window in the ponta hours; null without readings there or without a tariff' })
  ponta!: DemandPeak | null;
}

export class ContractedDemand {
  @ApiProperty({ description: 'Contracted demand fora de ponta (kW); verde contracts this one only', nullable: true, type: Number }) foraPonta!: number | null;
  @ApiProperty({ description: 'Contracted demand in ponta (kW, azul)', nullable: true, type: Number }) ponta!: number | null;
}

export class DemandChargeLine {
  @ApiProperty({ description: 'The posto billed', enum: ['foraPonta', 'ponta'] }) posto!: 'foraPonta' | 'ponta';
  @ApiProperty({ description: 'Measured peak demand (kW)' }) measuredKW!: number;
  @ApiProperty({ description: 'Contracted demand (kW)', nullable: true, type: Number }) contractedKW!: number | null;
  @ApiProperty({ description: 'Billed demand: max(measured, contracted) (kW)' }) billedKW!: number;
  @ApiProperty({ description: 'Cost of the billed demand (BRL, taxes included)' }) cost!: number;
  @ApiProperty({ description: 'Measured − contracted when the measured demand passes 1.05 × the contracted, else 0 (kW)' }) overrunKW!: number;
  @ApiProperty({ description: 'Cost of the overrun at twice the demand rate (ultrapassagem; BRL, taxes included)' }) overrunCost!: number;
}

export class DemandCharge {
  @ApiProperty({ type: [DemandChargeLine], description: 'One line per posto billed' }) lines!: DemandChargeLine[];
  @ApiProperty({ description: 'Billed demand and ultrapassagem together (BRL, taxes included)' }) cost!: number;
}

export class DemandResponse {
  @ApiProperty({ description: 'Width of a demand window', enum: [15] }) intervalMinutes!: 15;
  @ApiProperty({ type: [DemandPoint], description: 'Every window that overlaps the period, in time order' }) points!: DemandPoint[];
  @ApiProperty({ type: DemandPeak, nullable: true, description: 'The highest window; null without readings' }) peak!: DemandPeak | null;
  @ApiProperty({ type: DemandByPosto, description: 'The peak in each posto of the tariff in force (all of it fora de ponta without a tariff)' })
  peakByPosto!: DemandByPosto;
  @ApiProperty({
    type: ContractedDemand,
    nullable: true,
    description: "The site's contracted demand; null for a client with several sites or a site without one",
  })
  contractedKW!: ContractedDemand | null;
  @ApiProperty({
    description: 'True when a peak passes 1.05 × the contracted demand of its posto (verde: the highest peak against the fora de ponta contract)',
  })
  overrun!: boolean;
  @ApiPropertyOptional({ type: DemandCharge, description: 'The demand charge of a group A tariff (verde, azul) over the period, as a bill for it would show' })
  charge?: DemandCharge;
  @ApiPropertyOptional({ description: 'Why there is no demand at all (a device that reports neither an energy counter nor power)', type: String })
  reason?: string;
}
