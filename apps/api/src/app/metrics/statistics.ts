/**
 * Statistics from sums that one SQL pass produces. Values are shifted by a
 * pivot (a value of the series) before summing, so that the sum of squares
 * does not swallow the variance (230 V ± 0.5 V squared loses digits otherwise).
 */
export interface ShiftedSums {
  n: number;
  /** Σ(v - pivot) */
  s1: number;
  /** Σ(v - pivot)² */
  s2: number;
  pivot: number;
}

export function meanAndSampleStd({ n, s1, s2, pivot }: ShiftedSums): { mean: number | null; std: number | null } {
  if (n === 0) return { mean: null, std: null };
  const mean = pivot + s1 / n;
  if (n < 2) return { mean, std: null };
  const variance = Math.max(0, (s2 - (s1 * s1) / n) / (n - 1));
  return { mean, std: Math.sqrt(variance) };
}

export interface Capability {
  mean: number;
  std: number;
  lsl: number;
  usl: number;
  cp: number | null;
  cpk: number | null;
}

/** Cp = (USL − LSL) / 6σ; Cpk = min(USL − μ, μ − LSL) / 3σ. Undefined (null) when σ is 0. */
export function processCapability(mean: number, std: number, lsl: number, usl: number): Capability {
  if (std === 0) return { mean, std, lsl, usl, cp: null, cpk: null };
  return { mean, std, lsl, usl, cp: (usl - lsl) / (6 * std), cpk: Math.min(usl - mean, mean - lsl) / (3 * std) };
}

/** Σ over paired (x, y), both shifted by pivots. */
export interface PairSums {
  n: number;
  sx: number;
  sy: number;
  sxx: number;
  syy: number;
  sxy: number;
  x0: number;
  y0: number;
}

export type LinearFit = { n: number; slope: number; intercept: number; r2: number };

/** Ordinary least squares y = slope·x + intercept, and r². Returns a reason instead when the data cannot define a line. */
export function linearFit(s: PairSums): LinearFit | { reason: string } {
  if (s.n < 2) return { reason: `a regression needs at least 2 paired points; found ${s.n}` };
  const sxx = s.sxx - (s.sx * s.sx) / s.n;
  const syy = s.syy - (s.sy * s.sy) / s.n;
  const sxy = s.sxy - (s.sx * s.sy) / s.n;
  // Relative tolerance: rounding in the sums must not pass for variance.
  if (sxx <= 1e-12 * Math.max(1, s.sxx)) return { reason: 'x has zero variance: every point has the same x, so no line can be fitted' };
  if (syy <= 1e-12 * Math.max(1, s.syy)) return { reason: 'y has zero variance: r² is undefined for a constant series' };
  const slope = sxy / sxx;
  // The sums are of shifted values: move the intercept back to the original origin.
  const interceptShifted = s.sy / s.n - slope * (s.sx / s.n);
  const intercept = s.y0 + interceptShifted - slope * s.x0;
  const r2 = (sxy * sxy) / (sxx * syy);
  return { n: s.n, slope, intercept, r2: Math.min(1, r2) };
}
