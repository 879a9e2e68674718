/**
 * What a tariff says, as plain data: the entity stores it, the DTOs check it, TariffCalculator prices with it.
 * No framework here: the calculator and its tests use these types alone.
 */
export const MODALITIES = ['convencional', 'branca', 'verde', 'azul'] as const;
export type Modality = (typeof MODALITIES)[number];

export const POSTOS = ['foraPonta', 'intermediario', 'ponta'] as const;
export type Posto = (typeof POSTOS)[number];

/** The postos a window may mark; every quarter outside a window (and every weekend and holiday) is fora de ponta. */
export const WINDOW_POSTOS = ['ponta', 'intermediario'] as const;
export type WindowPosto = (typeof WINDOW_POSTOS)[number];

/** Which days a window holds on. Distributors define ponta on working days only, hence one value for now. */
export const WINDOW_DAYS = ['weekdays'] as const;

export const BANDEIRA_FLAGS = ['verde', 'amarela', 'vermelha1', 'vermelha2', 'escassez'] as const;
export type BandeiraFlag = (typeof BANDEIRA_FLAGS)[number];

/** Holiday calendars known by name (national holidays, from the date-holidays package). */
export const HOLIDAY_CALENDARS = ['BR'] as const;

export interface TariffWindow {
  posto: WindowPosto;
  days: (typeof WINDOW_DAYS)[number];
  /** Local wall-clock time 'HH:MM' on a quarter hour. */
  start: string;
  /** 'HH:MM' on a quarter hour, up to '24:00'; the window ends before it. */
  end: string;
}

/** One version of a tariff: what applies from `validFrom` (a local calendar date) until the next version. */
export interface TariffTerms {
  modality: Modality;
  /** 'YYYY-MM-DD', from the local midnight of that day in the site's (or client's) time zone. */
  validFrom: string;
  /** R$/kWh before taxes; `reactiveExcess`: R$ per kWh of excess reactive energy (power factor below 0.92). */
  energy: { foraPonta: number; intermediario?: number | null; ponta?: number | null; reactiveExcess?: number | null };
  /** R$/kW per month before taxes (group A). */
  demand: { foraPonta: number; ponta?: number | null };
  windows: TariffWindow[];
  /** 'BR' (national public holidays) or a list of local dates 'YYYY-MM-DD'. */
  holidays: 'BR' | string[];
  /** Fractions of the final price ("por dentro"): price = rate / (1 − (icms + pis + cofins)). */
  taxes: { icms: number; pis: number; cofins: number };
}

/** Which postos a modality distinguishes (the others fold into fora de ponta). */
export function postosOf(modality: Modality): readonly Posto[] {
  switch (modality) {
    case 'convencional':
      return ['foraPonta'];
    case 'verde':
    case 'azul':
      return ['foraPonta', 'ponta'];
    case 'branca':
      return POSTOS;
  }
}

/** Minutes after local midnight of 'HH:MM' ('24:00' is 1440), or NaN when it is no such time. */
export function minutesOf(hhmm: string): number {
  const m = /^(\d{2}):(\d{2})$/.exec(hhmm);
  if (!m) return NaN;
  const minutes = Number(m[1]) * 60 + Number(m[2]);
  return Number(m[2]) < 60 && minutes <= 1440 ? minutes : NaN;
}

export interface FieldProblem {
  field: string;
  message: string;
}

/**
 * What is wrong with a tariff's terms beyond the shape the DTO checks (one problem per field, named
 * as the client sent it). Empty when the terms can be priced.
 */
export function problemsOf(t: TariffTerms): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const postos = postosOf(t.modality);
  for (const posto of ['intermediario', 'ponta'] as const) {
    if (postos.includes(posto) && (t.energy[posto] === undefined || t.energy[posto] === null)) {
      problems.push({ field: `energy.${posto}`, message: `is needed by the modality ${t.modality} (R$/kWh)` });
    }
  }
  if (t.modality === 'azul' && (t.demand.ponta === undefined || t.demand.ponta === null)) {
    problems.push({ field: 'demand.ponta', message: 'is needed by the modality azul (R$/kW)' });
  }
  const spans: { from: number; to: number; i: number }[] = [];
  t.windows.forEach((w, i) => {
    const start = minutesOf(w.start);
    const end = minutesOf(w.end);
    if (!postos.includes(w.posto)) {
      problems.push({ field: `windows[${i}].posto`, message: `the modality ${t.modality} has no ${w.posto} (it has ${postos.join(', ')})` });
    }
    if (Number.isNaN(start) || start % 15 !== 0)
      problems.push({ field: `windows[${i}].start`, message: 'must be a time HH:MM on a quarter hour from 00:00 to 24:00' });
    if (Number.isNaN(end) || end % 15 !== 0)
      problems.push({ field: `windows[${i}].end`, message: 'must be a time HH:MM on a quarter hour from 00:00 to 24:00' });
    if (!Number.isNaN(start) && !Number.isNaN(end)) {
      if (start >= end) problems.push({ field: `windows[${i}].end`, message: `must be after start (${w.start}); a window does not cross midnight` });
      else spans.push({ from: start, to: end, i });
    }
  });
  spans.sort((a, b) => a.from - b.from);
  for (let k = 1; k < spans.length; k++) {
    const [a, b] = [spans[k - 1], spans[k]];
    if (b.from < a.to) problems.push({ field: `windows[${b.i}]`, message: `overlaps windows[${a.i}] (${t.windows[a.i].start}-${t.windows[a.i].end})` });
  }
  const taxSum = t.taxes.icms + t.taxes.pis + t.taxes.cofins;
  if (!(taxSum < 1))
    problems.push({ field: 'taxes', message: `icms + pis + cofins must be less than 1 (they are fractions of the price); they add up to ${taxSum}` });
  return problems;
}

/** True for a real calendar date 'YYYY-MM-DD' (no 2026-02-30). */
export function isCalendarDate(value: unknown): value is string {
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
  const d = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === value;
}

/** 'YYYY-MM' with a month 01-12. */
export const MONTH_PATTERN = /^\d{4}-(0[1-9]|1[0-2])$/;
