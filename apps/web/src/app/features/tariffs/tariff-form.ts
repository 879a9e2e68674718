import type { ApiBody, ApiResponse } from '@pieng/api-client';
import type { Posto } from './day-segments';

export type Tariff = ApiResponse<'listTariffs'>[number];
export type Modality = Tariff['modality'];
export type WindowPosto = Tariff['windows'][number]['posto'];
/** What a tariff says, without whose it is: the body of a PATCH, and of a POST once clientId or siteId is added. */
export type TariffTermsBody = Omit<ApiBody<'createTariff'>, 'clientId' | 'siteId'>;

export const MODALITIES: readonly Modality[] = ['convencional', 'branca', 'verde', 'azul'];

/** The energy rates a modality charges (the API refuses a window posto it does not have and asks for these rates). */
export function energyPostos(modality: Modality): readonly Posto[] {
  if (modality === 'convencional') return ['foraPonta'];
  if (modality === 'branca') return ['foraPonta', 'intermediario', 'ponta'];
  return ['foraPonta', 'ponta'];
}

/** The postos a window may mark under a modality: convencional has no windows, group A only ponta. */
export function windowPostos(modality: Modality): readonly WindowPosto[] {
  if (modality === 'convencional') return [];
  return modality === 'branca' ? ['ponta', 'intermediario'] : ['ponta'];
}

/** Group A pays demand: verde one rate (fora de ponta), azul one per posto. */
export function demandPostos(modality: Modality): readonly ('foraPonta' | 'ponta')[] {
  if (modality === 'verde') return ['foraPonta'];
  return modality === 'azul' ? ['foraPonta', 'ponta'] : [];
}

/** Quarter hours from 00:00 to 24:00, the only times a window may start or end on. */
export const QUARTER_HOURS: readonly string[] = Array.from(
  { length: 97 },
  (_, q) => `${String(Math.floor(q / 4)).padStart(2, '0')}:${String((q % 4) * 15).padStart(2, '0')}`,
);

/**
 * Taxes are typed as percentages and stored as fractions. Rounded at 1e-6 of a fraction (1e-4 of a percent point),
 * because 1.65 / 100 in floating point is not 0.0165.
 */
export function percentToFraction(percent: number | null): number {
  return percent === null || !Number.isFinite(percent) ? 0 : Math.round(percent * 10_000) / 1_000_000;
}

export function fractionToPercent(fraction: number): number {
  return Math.round(fraction * 100_000_000) / 1_000_000;
}

export interface TariffFormValue {
  name: string;
  modality: Modality;
  validFrom: string;
  energyForaPonta: number | null;
  energyIntermediario: number | null;
  energyPonta: number | null;
  /** R$ per kWh of excess reactive energy; blank: shown on the Energy page, not charged. */
  energyReactiveExcess: number | null;
  demandForaPonta: number | null;
  demandPonta: number | null;
  windows: { posto: WindowPosto; start: string; end: string }[];
  holidaysMode: 'BR' | 'list';
  /** Dates YYYY-MM-DD separated by spaces, commas or lines. */
  holidayList: string;
  icmsPercent: number | null;
  pisPercent: number | null;
  cofinsPercent: number | null;
}

/** An empty form: the tarifa branca windows, national holidays, no taxes yet. */
export function blankTariffForm(today: string): TariffFormValue {
  return {
    name: '',
    modality: 'branca',
    validFrom: today,
    energyForaPonta: null,
    energyIntermediario: null,
    energyPonta: null,
    energyReactiveExcess: null,
    demandForaPonta: null,
    demandPonta: null,
    windows: [
      { posto: 'intermediario', start: '16:00', end: '17:00' },
      { posto: 'ponta', start: '17:00', end: '20:00' },
      { posto: 'intermediario', start: '20:00', end: '21:00' },
    ],
    holidaysMode: 'BR',
    holidayList: '',
    icmsPercent: null,
    pisPercent: null,
    cofinsPercent: null,
  };
}

export function tariffFormOf(t: Tariff): TariffFormValue {
  return {
    name: t.name,
    modality: t.modality,
    validFrom: t.validFrom,
    energyForaPonta: t.energy.foraPonta,
    energyIntermediario: t.energy.intermediario ?? null,
    energyPonta: t.energy.ponta ?? null,
    energyReactiveExcess: t.energy.reactiveExcess ?? null,
    demandForaPonta: t.demand.foraPonta,
    demandPonta: t.demand.ponta ?? null,
    windows: t.windows.map((w) => ({ posto: w.posto, start: w.start, end: w.end })),
    holidaysMode: t.holidays === 'BR' ? 'BR' : 'list',
    holidayList: Array.isArray(t.holidays) ? t.holidays.join('\n') : '',
    icmsPercent: fractionToPercent(t.taxes.icms),
    pisPercent: fractionToPercent(t.taxes.pis),
    cofinsPercent: fractionToPercent(t.taxes.cofins),
  };
}

/**
 * The terms as the API takes them. Only the rates and windows the modality uses are sent, and every part is sent
 * whole, because a PATCH replaces each part it names. A blank rate goes as null so the server names the field.
 */
export function tariffBody(v: TariffFormValue): TariffTermsBody {
  const energy = energyPostos(v.modality);
  const demand = demandPostos(v.modality);
  const postos = windowPostos(v.modality);
  return {
    name: v.name.trim(),
    modality: v.modality,
    currency: 'BRL',
    validFrom: v.validFrom,
    energy: {
      foraPonta: v.energyForaPonta as number,
      ...(energy.includes('intermediario') && { intermediario: v.energyIntermediario }),
      ...(energy.includes('ponta') && { ponta: v.energyPonta }),
      ...(v.energyReactiveExcess !== null && { reactiveExcess: v.energyReactiveExcess }),
    },
    // Group B pays no demand: 0 says so (the API's convention).
    demand: demand.length ? { foraPonta: v.demandForaPonta as number, ...(demand.includes('ponta') && { ponta: v.demandPonta }) } : { foraPonta: 0 },
    windows: v.windows.filter((w) => postos.includes(w.posto)).map((w) => ({ posto: w.posto, days: 'weekdays', start: w.start, end: w.end })),
    holidays: v.holidaysMode === 'BR' ? 'BR' : v.holidayList.split(/[\s,;]+/).filter((d) => d !== ''),
    taxes: { icms: percentToFraction(v.icmsPercent), pis: percentToFraction(v.pisPercent), cofins: percentToFraction(v.cofinsPercent) },
  };
}
