import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsNumber, IsOptional, Matches, Max, Min, ValidateBy } from 'class-validator';
import { HOLIDAY_CALENDARS, isCalendarDate, WINDOW_DAYS, WINDOW_POSTOS, type WindowPosto } from '../tariff-terms';

const RATE = { allowNaN: false, allowInfinity: false } as const;
/** Rates are R$; a million per kWh or kW is a typing error, not a tariff. */
const MAX_RATE = 1e6;

export class TariffEnergyDto {
  @ApiProperty({ description: 'R$/kWh fora de ponta, before taxes (convencional: the one rate)', minimum: 0, example: 0.5 })
  @IsNumber(RATE)
  @Min(0)
  @Max(MAX_RATE)
  foraPonta!: number;

  @ApiPropertyOptional({ description: 'R$/kWh intermediário, before taxes (branca only)', minimum: 0, nullable: true, type: Number, example: 0.8 })
  @IsOptional()
  @IsNumber(RATE)
  @Min(0)
  @Max(MAX_RATE)
  intermediario?: number | null;

  @ApiPropertyOptional({ description: 'R$/kWh in ponta, before taxes (branca, verde, azul)', minimum: 0, nullable: true, type: Number, example: 1.2 })
  @IsOptional()
  @IsNumber(RATE)
  @Min(0)
  @Max(MAX_RATE)
  ponta?: number | null;

  @ApiPropertyOptional({
    description: 'R$ per kWh of excess reactive energy (hours with a power factor below 0.92), before taxes; absent: the excess is shown, not charged',
    minimum: 0,
    nullable: true,
    type: Number,
    example: 0.3,
  })
  @IsOptional()
  @IsNumber(RATE)
  @Min(0)
  @Max(MAX_RATE)
  reactiveExcess?: number | null;
}

export class TariffDemandDto {
  @ApiProperty({ description: 'R$/kW of demand fora de ponta per month, before taxes (verde: the one demand rate); 0 for group B', minimum: 0, example: 25.3 })
  @IsNumber(RATE)
  @Min(0)
  @Max(MAX_RATE)
  foraPonta!: number;

  @ApiPropertyOptional({ description: 'R$/kW of demand in ponta per month, before taxes (azul)', minimum: 0, nullable: true, type: Number, example: 61.2 })
  @IsOptional()
  @IsNumber(RATE)
  @Min(0)
  @Max(MAX_RATE)
  ponta?: number | null;
}

const HHMM = /^([01]\d|2[0-4]):[0-5]\d$/;

export class TariffWindowDto {
  @ApiProperty({ description: 'The posto of the window; the hours outside every window are fora de ponta', enum: WINDOW_POSTOS, example: 'ponta' })
  @IsIn(WINDOW_POSTOS)
  posto!: WindowPosto;

  @ApiProperty({
    description: 'Which days the window holds on: working days (weekends and holidays are fora de ponta all day)',
    enum: WINDOW_DAYS,
    example: 'weekdays',
  })
  @IsIn(WINDOW_DAYS)
  days!: (typeof WINDOW_DAYS)[number];

  @ApiProperty({ description: 'Local start HH:MM on a quarter hour', example: '17:00' })
  @Matches(HHMM, { message: 'start must be a time HH:MM on a quarter hour from 00:00 to 24:00' })
  start!: string;

  @ApiProperty({ description: "Local end HH:MM on a quarter hour, after start; '24:00' is midnight at the day's end", example: '20:00' })
  @Matches(HHMM, { message: 'end must be a time HH:MM on a quarter hour from 00:00 to 24:00' })
  end!: string;
}

const share = (tax: string, example: number) => ({ description: `${tax} as a fraction of the final price (0.18 is 18 %)`, minimum: 0, maximum: 1, example });

/** Taxes charged "por dentro": price = tariff / (1 − (icms + pis + cofins)). */
export class TariffTaxesDto {
  @ApiProperty(share('ICMS', 0.18))
  @IsNumber(RATE)
  @Min(0)
  @Max(1)
  icms!: number;

  @ApiProperty(share('PIS', 0.0165))
  @IsNumber(RATE)
  @Min(0)
  @Max(1)
  pis!: number;

  @ApiProperty(share('COFINS', 0.076))
  @IsNumber(RATE)
  @Min(0)
  @Max(1)
  cofins!: number;
}

/** "BR" (a calendar by name) or a list of local dates. */
export const IsHolidays = () =>
  ValidateBy({
    name: 'isHolidays',
    validator: {
      validate: (value: unknown) =>
        (typeof value === 'string' && (HOLIDAY_CALENDARS as readonly string[]).includes(value)) ||
        (Array.isArray(value) && value.length <= 1000 && value.every(isCalendarDate)),
      defaultMessage: () => `holidays must be ${HOLIDAY_CALENDARS.map((c) => `"${c}"`).join(' or ')} (national holidays) or a list of dates YYYY-MM-DD`,
    },
  });

/** A real date 'YYYY-MM-DD'. */
export const IsCalendarDate = () =>
  ValidateBy({
    name: 'isCalendarDate',
    validator: { validate: (value: unknown) => isCalendarDate(value), defaultMessage: (args) => `${args?.property} must be a date YYYY-MM-DD` },
  });
