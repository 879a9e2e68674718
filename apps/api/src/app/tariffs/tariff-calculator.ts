import { dateHolidays } from '../common/lazy-libraries';
import { DAY_MS, offsetAt } from '../common/time-zones';
import { BandeiraFlag, minutesOf, Posto, postosOf, TariffTerms } from './tariff-terms';

/** The bandeira of one calendar month ('YYYY-MM'); a month without one is verde (no adder). */
export interface BandeiraMonth {
  month: string;
  flag: BandeiraFlag;
  /** R$ per 100 kWh, before taxes. */
  adderPer100kWh: number;
}

export interface PricedQuarter {
  start: number;
  kWh: number;
  posto: Posto;
  /** R$ with taxes; null when no tariff was in force at that time. */
  cost: number | null;
}

export interface PostoTotals {
  kWh: number;
  cost: number;
}

export interface PricedEnergy {
  quarters: PricedQuarter[];
  byPosto: Record<Posto, PostoTotals>;
  /** R$ with taxes, of the quarters a tariff was in force for. */
  cost: number;
  /** kWh of quarters before the first tariff version: not in `byPosto`, not in `cost`. */
  unpricedKWh: number;
}

export interface DemandInput {
  /** The highest 15-minute demand (kW) measured in each posto over the billing period. */
  peakByPosto: { foraPonta: number; ponta: number };
  /** The site's contracted demand (kW); null where none is contracted. */
  contractedKW: { foraPonta: number | null; ponta: number | null };
  /** Which tariff version bills it (any instant of the billing period); the latest one the calculator holds by default. */
  at?: number;
}

export interface DemandLine {
  posto: 'foraPonta' | 'ponta';
  measuredKW: number;
  contractedKW: number | null;
  /** max(measured, contracted). */
  billedKW: number;
  /** R$ with taxes, of billedKW at the demand rate. */
  cost: number;
  /** measured − contracted when the measured demand passes 1.05 × the contracted, else 0. */
  overrunKW: number;
  /** R$ with taxes, of overrunKW at twice the demand rate ("ultrapassagem"). */
  overrunCost: number;
}

export interface DemandCharge {
  lines: DemandLine[];
  /** R$ with taxes, billed demand and ultrapassagem together. */
  cost: number;
}

/** Margin over the contracted demand before the excess is charged at twice the rate (ANEEL: 5 %). */
const OVERRUN_TOLERANCE = 1.05;

const holidayCalendars = new Map<number, Set<string>>();
/** Brazil's national public holidays of a year as local dates 'YYYY-MM-DD' (bank and optional days are working days). */
export function brazilianHolidays(year: number): Set<string> {
  let days = holidayCalendars.get(year);
  if (!days) {
    const Holidays = dateHolidays();
    const list = new Holidays('BR').getHolidays(year) || [];
    days = new Set(list.filter((h) => h.type === 'public').map((h) => h.date.slice(0, 10)));
    holidayCalendars.set(year, days);
  }
  return days;
}

/** One local day as the calculator prices it. */
interface DayPlan {
  /** 'YYYY-MM-DD'. */
  date: string;
  /** The version in force that day; null before the first. */
  terms: TariffTerms | null;
  /** The windows that hold that day, in minutes after local midnight (none on weekends and holidays). */
  windows: { posto: Posto; from: number; to: number }[];
  /** R$/kWh the month's bandeira adds, before taxes. */
  adderPerKWh: number;
  /** 1 − (icms + pis + cofins). */
  divisor: number;
}

function postoIn(day: DayPlan, minute: number): Posto {
  for (const w of day.windows) if (w.from <= minute && minute < w.to) return w.posto;
  return 'foraPonta';
}

function isHoliday(terms: TariffTerms, date: string): boolean {
  if (terms.holidays === 'BR') return brazilianHolidays(Number(date.slice(0, 4))).has(date);
  return terms.holidays.includes(date);
}

/**
 * Prices energy and demand by a tariff's versions, in a time zone. Pure: it is handed the versions in
 * force over the period (sorted or not), the bandeiras of its months and the IANA zone of the site,
 * and reads nothing else.
 *
 * A quarter is priced by the version in force on its local date (the latest validFrom on or before
 * it), in the posto its local start time falls in: weekends and holidays are fora de ponta all day;
 * on working days the version's windows mark ponta and intermediário. Energy costs
 * kWh × (rate + bandeira adder / 100) / (1 − (icms + pis + cofins)): taxes are charged "por dentro",
 * on the adder as on the energy.
 */
export class TariffCalculator {
  private readonly versions: TariffTerms[];
  private readonly adders: Map<string, number>;
  /** Per UTC day index: the zone's offset all that day, or null on a day it changes. */
  private readonly dayOffsets = new Map<number, number | null>();
  /** Per local day index (days since 1970-01-01 on the local calendar). */
  private readonly days = new Map<number, DayPlan>();

  constructor(
    versions: readonly TariffTerms[],
    bandeiras: readonly BandeiraMonth[],
    readonly timeZone: string,
  ) {
    this.versions = [...versions].sort((a, b) => (a.validFrom < b.validFrom ? -1 : a.validFrom > b.validFrom ? 1 : 0));
    this.adders = new Map(bandeiras.map((b) => [b.month, b.adderPer100kWh]));
  }

  /**
   * The zone's offset at an instant. Asking Intl for every quarter cost 46 ms per month of quarters;
   * a UTC day whose offset is the same at its first and last millisecond has no change inside it
   * (zones change at most once a day), so it is asked twice per day, and per instant only on the
   * days a change happens.
   */
  private offset(ms: number): number {
    const day = Math.floor(ms / DAY_MS);
    let constant = this.dayOffsets.get(day);
    if (constant === undefined) {
      const first = offsetAt(day * DAY_MS, this.timeZone);
      constant = first === offsetAt((day + 1) * DAY_MS - 1, this.timeZone) ? first : null;
      this.dayOffsets.set(day, constant);
    }
    return constant ?? offsetAt(ms, this.timeZone);
  }

  /** The plan of the local day that holds this instant, and the minute of that day the instant falls in. */
  private local(ms: number): { day: DayPlan; minute: number } {
    const wall = ms + this.offset(ms);
    const index = Math.floor(wall / DAY_MS);
    let day = this.days.get(index);
    if (!day) {
      day = this.planDay(new Date(index * DAY_MS));
      this.days.set(index, day);
    }
    return { day, minute: Math.floor((wall - index * DAY_MS) / 60_000) };
  }

  /** What a local day's quarters need, worked out once per day rather than per quarter. */
  private planDay(midnight: Date): DayPlan {
    const date = midnight.toISOString().slice(0, 10);
    const terms = this.termsOn(date);
    const weekday = midnight.getUTCDay();
    const working = terms !== null && weekday !== 0 && weekday !== 6 && !isHoliday(terms, date);
    const postos = terms ? postosOf(terms.modality) : [];
    return {
      date,
      terms,
      // Weekends and holidays have no windows: fora de ponta all day.
      windows:
        working && terms
          ? terms.windows.filter((w) => postos.includes(w.posto)).map((w) => ({ posto: w.posto, from: minutesOf(w.start), to: minutesOf(w.end) }))
          : [],
      adderPerKWh: (this.adders.get(date.slice(0, 7)) ?? 0) / 100,
      divisor: terms ? taxDivisor(terms) : 1,
    };
  }

  private termsOn(date: string): TariffTerms | null {
    let found: TariffTerms | null = null;
    for (const v of this.versions) if (v.validFrom <= date) found = v;
    return found;
  }

  /** The tariff version in force at an instant, or null before the first one. */
  termsAt(ms: number): TariffTerms | null {
    return this.local(ms).day.terms;
  }

  /**
   * The cost (R$, taxes included) of excess reactive energy measured in the hour that starts at this
   * instant, at the rate of the version in force then; null when that version gives no rate for it
   * (the excess is then shown, not charged) or before the first version.
   */
  priceReactiveExcess(hourStartMs: number, kWh: number): number | null {
    const terms = this.termsAt(hourStartMs);
    const rate = terms?.energy.reactiveExcess;
    if (!terms || rate === null || rate === undefined) return null;
    return (kWh * rate) / taxDivisor(terms);
  }

  /** The posto of the quarter that starts at this instant. Before the first version, fora de ponta. */
  postoAt(quarterStartMs: number): Posto {
    const { day, minute } = this.local(quarterStartMs);
    return postoIn(day, minute);
  }

  /** Prices each quarter's energy (kWh measured from `start`, a quarter-hour instant) and adds them up by posto. */
  price(quarters: readonly { start: number; kWh: number }[]): PricedEnergy {
    const byPosto: Record<Posto, PostoTotals> = { foraPonta: { kWh: 0, cost: 0 }, intermediario: { kWh: 0, cost: 0 }, ponta: { kWh: 0, cost: 0 } };
    let cost = 0;
    let unpricedKWh = 0;
    const priced = quarters.map((q): PricedQuarter => {
      const { day, minute } = this.local(q.start);
      const terms = day.terms;
      const posto = postoIn(day, minute);
      if (!terms) {
        unpricedKWh += q.kWh;
        return { start: q.start, kWh: q.kWh, posto, cost: null };
      }
      const rate = terms.energy[posto] ?? terms.energy.foraPonta;
      const quarterCost = (q.kWh * (rate + day.adderPerKWh)) / day.divisor;
      byPosto[posto].kWh += q.kWh;
      byPosto[posto].cost += quarterCost;
      cost += quarterCost;
      return { start: q.start, kWh: q.kWh, posto, cost: quarterCost };
    });
    return { quarters: priced, byPosto, cost, unpricedKWh };
  }

  /**
   * The month's demand charge (group A): per posto, max(measured, contracted) at the demand rate; a
   * measured demand above 1.05 × the contracted also pays its excess over the contracted (not over
   * the 5 % margin) at twice the rate. Azul bills fora de ponta and ponta apart; verde (and
   * convencional) one demand, the highest of the period, at the fora de ponta rate against the fora
   * de ponta contract; branca (group B) none. Taxes are charged por dentro as on energy.
   * Null when no version is in force.
   */
  demandCharge(input: DemandInput): DemandCharge | null {
    const terms = input.at === undefined ? (this.versions[this.versions.length - 1] ?? null) : this.termsAt(input.at);
    if (!terms) return null;
    const divisor = taxDivisor(terms);
    const line = (posto: 'foraPonta' | 'ponta', measuredKW: number, contractedKW: number | null, rate: number): DemandLine => {
      const billedKW = Math.max(measuredKW, contractedKW ?? 0);
      const overrunKW = contractedKW !== null && measuredKW > OVERRUN_TOLERANCE * contractedKW ? measuredKW - contractedKW : 0;
      return { posto, measuredKW, contractedKW, billedKW, cost: (billedKW * rate) / divisor, overrunKW, overrunCost: (overrunKW * 2 * rate) / divisor };
    };
    let lines: DemandLine[];
    switch (terms.modality) {
      case 'branca':
        lines = [];
        break;
      case 'azul':
        lines = [
          line('foraPonta', input.peakByPosto.foraPonta, input.contractedKW.foraPonta, terms.demand.foraPonta),
          line('ponta', input.peakByPosto.ponta, input.contractedKW.ponta, terms.demand.ponta ?? 0),
        ];
        break;
      case 'verde':
      case 'convencional':
        lines = [line('foraPonta', Math.max(input.peakByPosto.foraPonta, input.peakByPosto.ponta), input.contractedKW.foraPonta, terms.demand.foraPonta)];
        break;
    }
    return { lines, cost: lines.reduce((sum, l) => sum + l.cost + l.overrunCost, 0) };
  }
}

/** Taxes "por dentro": the price is the rate divided by what is left after the taxes' share. */
function taxDivisor(terms: TariffTerms): number {
  return 1 - (terms.taxes.icms + terms.taxes.pis + terms.taxes.cofins);
}
