/**
 * Steady-state voltage conformity by ANEEL's PRODIST Módulo 8 ("Qualidade do Fornecimento de
 * Energia Elétrica"), section on tensão em regime permanente: each 10-minute mean voltage (TL, leitura)
 * is adequada, precária or crítica by the ranges for the nominal voltage (TN) of connection points
 * at or below 1 kV, and a set of 1,008 valid readings (one week) gives
 *   DRP = nlp / 1008 × 100 %   DRC = nlc / 1008 × 100 %,
 * nlp/nlc being, for three-phase points, the largest count among the phases, against the limits
 * DRPM = 3 % and DRCM = 0.5 %.
 *
 * Ranges (Módulo 8, Anexo 8.A in revision 10, REN 794/2017, in force from 2018-01-01; the same
 * values in the consolidation of REN 956/2021, in force from 2022-01-01):
 *   220/127 V (Tabela 3): 220 V adequada 202 ≤ TL ≤ 231, precária 191 ≤ TL < 202 or 231 < TL ≤ 233,
 *                         crítica TL < 191 or TL > 233; 127 V: 117-133, 110-117 / 133-135, < 110 or > 135.
 *   380/220 V (Tabela 4): 380 V adequada 350 ≤ TL ≤ 399, precária 331 ≤ TL < 350 or 399 < TL ≤ 403,
 *                         crítica TL < 331 or TL > 403; 220 V as above.
 * Written from the revisions named; the machine this was built on had no internet to re-read them:
 * check against the revision in force before relying on a result in a dispute.
 */
export type VoltageBand = 'adequate' | 'precarious' | 'critical';

export interface VoltageRanges {
  /** The system the nominal voltage belongs to, as PRODIST names it. */
  system: string;
  /** Adequate: adequate[0] ≤ V ≤ adequate[1]. */
  adequate: [number, number];
  /** Precarious: precarious[0] ≤ V < adequate[0] or adequate[1] < V ≤ precarious[1]; critical beyond. */
  precarious: [number, number];
}

export const PRODIST_RANGES: Readonly<Record<number, VoltageRanges>> = {
  127: { system: '220/127 V', adequate: [117, 133], precarious: [110, 135] },
  220: { system: '220/127 V and 380/220 V', adequate: [202, 231], precarious: [191, 233] },
  380: { system: '380/220 V', adequate: [350, 399], precarious: [331, 403] },
};

export const READINGS_PER_WEEK = 1008;
export const READING_MS = 600_000;
export const DRPM = 3;
export const DRCM = 0.5;

export function classifyVoltage(v: number, r: VoltageRanges): VoltageBand {
  if (v >= r.adequate[0] && v <= r.adequate[1]) return 'adequate';
  if (v >= r.precarious[0] && v <= r.precarious[1]) return 'precarious';
  return 'critical';
}

export interface PhaseReading {
  /** Start of the 10-minute window. */
  start: number;
  /** Mean voltage of each phase in the window (one entry for a single-phase meter). */
  phases: Record<string, number>;
}

export interface WeekConformity {
  start: number;
  end: number;
  /** Windows with at least one phase value. */
  readings: number;
  /** True when the week holds the 1,008 readings PRODIST's indices are defined on. */
  complete: boolean;
  byPhase: Record<string, { adequate: number; precarious: number; critical: number }>;
  nlp: number;
  nlc: number;
  drp: number;
  drc: number;
  drpPasses: boolean;
  drcPasses: boolean;
}

/** Readings (in time order) grouped in weeks of 1,008 windows from `from`, with DRP and DRC per week. */
export function weeklyConformity(readings: PhaseReading[], from: number, until: number, ranges: VoltageRanges): WeekConformity[] {
  const weekMs = READINGS_PER_WEEK * READING_MS;
  const weeks: WeekConformity[] = [];
  let i = 0;
  for (let start = from; start < until; start += weekMs) {
    const end = Math.min(start + weekMs, until);
    const w: WeekConformity = { start, end, readings: 0, complete: false, byPhase: {}, nlp: 0, nlc: 0, drp: 0, drc: 0, drpPasses: true, drcPasses: true };
    for (; i < readings.length && readings[i].start < end; i++) {
      const r = readings[i];
      if (r.start < start) continue;
      w.readings++;
      for (const [phase, v] of Object.entries(r.phases)) {
        const tally = (w.byPhase[phase] ??= { adequate: 0, precarious: 0, critical: 0 });
        tally[classifyVoltage(v, ranges)]++;
      }
    }
    const tallies = Object.values(w.byPhase);
    w.nlp = Math.max(0, ...tallies.map((t) => t.precarious));
    w.nlc = Math.max(0, ...tallies.map((t) => t.critical));
    w.drp = (w.nlp / READINGS_PER_WEEK) * 100;
    w.drc = (w.nlc / READINGS_PER_WEEK) * 100;
    w.drpPasses = w.drp <= DRPM;
    w.drcPasses = w.drc <= DRCM;
    w.complete = w.readings >= READINGS_PER_WEEK;
    weeks.push(w);
  }
  return weeks;
}
