import Holidays from 'date-holidays';
import { offsetAt } from '../common/time-zones';
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
function brazilianHolidays(year: number): Set<string> {
  let days = holidayCalendars.get(year);
  if (!days) {
    const list = new Holidays('BR').getHolidays(year) || [];
    days = new Set(list.filter((h) => h.type === 'public').map((h) => h.date.slice(0, 10)));
    holidayCalendars.set(year, days);
  }
  return days;
}

/** A local wall-clock moment: date 'YYYY-MM-DD', weekday (0 Sunday) and minutes after local midnight. */
interface LocalMoment {
  date: string;
  weekday: number;
  minute: number;
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

  constructor(
    versions: readonly TariffTerms[],
    bandeiras: readonly BandeiraMonth[],
    readonly timeZone: string,
  ) {
    this.versions = [...versions].sort((a, b) => (a.validFrom < b.validFrom ? -1 : a.validFrom > b.validFrom ? 1 : 0));
    this.adders = new Map(bandeiras.map((b) => [b.month, b.adderPer100kWh]));
  }

  private local(ms: number): LocalMoment {
    const wall = new Date(ms + offsetAt(ms, this.timeZone));
    return { date: wall.toISOString().slice(0, 10), weekday: wall.getUTCDay(), minute: wall.getUTCHours() * 60 + wall.getUTCMinutes() };
  }

  private termsOn(date: string): TariffTerms | null {
    let found: TariffTerms | null = null;
    for (const v of this.versions) if (v.validFrom <= date) found = v;
    return found;
  }

  /** The tariff version in force at an instant, or null before the first one. */
  termsAt(ms: number): TariffTerms | null {
    return this.termsOn(this.local(ms).date);
  }

  /** The posto of the quarter that starts at this instant. Before the first version, fora de ponta. */
  postoAt(quarterStartMs: number): Posto {
    const at = this.local(quarterStartMs);
    return this.postoOf(this.termsOn(at.date), at);
  }

  private postoOf(terms: TariffTerms | null, at: LocalMoment): Posto {
    if (!terms) return 'foraPonta';
    if (at.weekday === 0 || at.weekday === 6 || this.isHoliday(terms, at.date)) return 'foraPonta';
    const postos = postosOf(terms.modality);
    for (const w of terms.windows) {
      if (postos.includes(w.posto) && minutesOf(w.start) <= at.minute && at.minute < minutesOf(w.end)) return w.posto;
    }
    return 'foraPonta';
  }

  private isHoliday(terms: TariffTerms, date: string): boolean {
    if (terms.holidays === 'BR') return brazilianHolidays(Number(date.slice(0, 4))).has(date);
    return terms.holidays.includes(date);
  }

  /** Prices each quarter's energy (kWh measured from `start`, a quarter-hour instant) and adds them up by posto. */
  price(quarters: readonly { start: number; kWh: number }[]): PricedEnergy {
    const byPosto: Record<Posto, PostoTotals> = { foraPonta: { kWh: 0, cost: 0 }, intermediario: { kWh: 0, cost: 0 }, ponta: { kWh: 0, cost: 0 } };
    let cost = 0;
    let unpricedKWh = 0;
    const priced = quarters.map((q): PricedQuarter => {
      const at = this.local(q.start);
      const terms = this.termsOn(at.date);
      const posto = this.postoOf(terms, at);
      if (!terms) {
        unpricedKWh += q.kWh;
        return { start: q.start, kWh: q.kWh, posto, cost: null };
      }
      const rate = terms.energy[posto] ?? terms.energy.foraPonta;
      const adder = (this.adders.get(at.date.slice(0, 7)) ?? 0) / 100;
      const quarterCost = (q.kWh * (rate + adder)) / taxDivisor(terms);
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
