import type { Matrix } from 'mathjs';
import { mathjs } from '../common/lazy-libraries';

/**
 * Multiple linear regression energy = b0 + Σ bi · driver_i by least squares (ISO 50006 energy
 * baseline, IPMVP option C), solved by the QR decomposition of the design matrix with mathjs
 * (better conditioned than the normal equations), with the ASHRAE Guideline 14 figures.
 */
export interface BaselineFit {
  /** b0 then b1..bp. */
  coefficients: number[];
  /** Standard error of each coefficient: sqrt(σ² · (XᵀX)⁻¹ᵢᵢ), σ² = SSE / (n − p). */
  standardErrors: number[];
  n: number;
  r2: number;
  /** CV(RMSE) in %: sqrt(SSE / (n − p)) / ȳ × 100 (Guideline 14, p = number of coefficients). */
  cvRmse: number;
  /** NMBE in %: Σ(y − ŷ) / ((n − p) · ȳ) × 100. */
  nmbe: number;
  fitted: number[];
}

/** Why a fit cannot be made; the caller answers 422 with it. */
export class FitError extends Error {}

/** The G14 acceptance limits: monthly data (CV(RMSE) ≤ 15 %, NMBE within ±5 %), hourly (≤ 30 %, ±10 %). */
export const G14_LIMITS = {
  monthly: { cvRmse: 15, nmbe: 5 },
  hourly: { cvRmse: 30, nmbe: 10 },
} as const;

export function g14Verdict(fit: Pick<BaselineFit, 'cvRmse' | 'nmbe'>, criteria: keyof typeof G14_LIMITS) {
  const lim = G14_LIMITS[criteria];
  return { criteria, cvRmseLimit: lim.cvRmse, nmbeLimit: lim.nmbe, passes: Math.abs(fit.cvRmse) <= lim.cvRmse && Math.abs(fit.nmbe) <= lim.nmbe };
}

/** A relative pivot below this (against the largest) means the drivers are collinear. */
const SINGULAR = 1e-9;

/** rows: the drivers of each point (without the constant); y: the energy of each point. */
export function fitBaseline(rows: number[][], y: number[], driverNames: string[] = []): BaselineFit {
  const n = y.length;
  const p = (rows[0]?.length ?? driverNames.length) + 1;
  if (n < p + 2) throw new FitError(`${n} points for ${p} coefficients: a baseline needs at least coefficients + 2 = ${p + 2} points`);
  const { matrix, multiply, qr, transpose, usolve, inv } = mathjs();
  const X = matrix(rows.map((r) => [1, ...r]));
  const { Q, R } = qr(X) as unknown as { Q: Matrix; R: Matrix };
  // R is n × p upper triangular; its top p × p block is what the solution needs.
  const Rp = (R.toArray() as number[][]).slice(0, p).map((r) => r.slice(0, p));
  const scale = Math.max(...Rp.map((r, i) => Math.abs(r[i])), 1e-300);
  // The column scale matters: a driver in millions beside one in units; judge each pivot against its own column's norm.
  const norms = Array.from({ length: p }, (_, j) => Math.hypot(...rows.map((r) => (j === 0 ? 1 : r[j - 1]))));
  for (let i = 0; i < p; i++) {
    if (Math.abs(Rp[i][i]) <= SINGULAR * Math.max(norms[i], SINGULAR * scale)) {
      const which = i === 0 ? 'the constant' : (driverNames[i - 1] ?? `driver ${i}`);
      throw new FitError(
        `singular design: ${which} is a linear combination of the ${i === 1 ? 'constant' : 'other drivers and the constant'} (collinear or constant drivers)`,
      );
    }
  }
  const Qty = (multiply(transpose(Q), matrix(y)).toArray() as number[]).slice(0, p);
  const beta = (usolve(matrix(Rp), Qty).toArray() as number[][]).map((r) => r[0]);
  const fitted = rows.map((r) => beta[0] + r.reduce((s, v, j) => s + v * beta[j + 1], 0));
  const mean = y.reduce((s, v) => s + v, 0) / n;
  let sse = 0,
    sst = 0,
    bias = 0;
  for (let i = 0; i < n; i++) {
    const e = y[i] - fitted[i];
    sse += e * e;
    bias += e;
    sst += (y[i] - mean) ** 2;
  }
  const dof = n - p;
  const sigma2 = sse / dof;
  // (XᵀX)⁻¹ = R⁻¹ R⁻ᵀ; its diagonal is the row norms² of R⁻¹.
  const Rinv = inv(matrix(Rp)).toArray() as number[][];
  const standardErrors = Rinv.map((row) => Math.sqrt(sigma2 * row.reduce((s, v) => s + v * v, 0)));
  // A perfect fit (sse ≈ 0) is R² = 1; a flat y (sst = 0) explains nothing more than its mean.
  const r2 = sst === 0 ? (sse === 0 ? 1 : 0) : Math.max(0, 1 - sse / sst);
  return {
    coefficients: beta,
    standardErrors,
    n,
    r2: Math.abs(1 - r2) < 1e-12 ? 1 : r2,
    cvRmse: mean === 0 ? NaN : (Math.sqrt(sigma2) / mean) * 100,
    nmbe: mean === 0 ? NaN : (bias / (dof * mean)) * 100,
    fitted,
  };
}

/** Expected energy of a period from saved coefficients and its drivers. */
export const expectedEnergy = (coefficients: number[], drivers: number[]) => coefficients[0] + drivers.reduce((s, v, j) => s + v * coefficients[j + 1], 0);

/** Degree-days of one day from its mean temperature: CDD = max(0, Tmean − base), HDD = max(0, base − Tmean). */
export function degreeDays(kind: 'cdd' | 'hdd', dailyMeans: number[], base: number): number {
  return dailyMeans.reduce((s, t) => s + Math.max(0, kind === 'cdd' ? t - base : base - t), 0);
}
