/**
 * Forecast of the energy still to come (issue 18 part 4): each remaining slot's expected energy
 * times (1 + s), s the exponentially weighted mean (α = 0.3, from 0) of the daily residuals
 * r = actual / expected − 1 of the days before.
 */
export const FORECAST_ALPHA = 0.3;

/** s after each residual: s_k = α · r_k + (1 − α) · s_(k−1), s_0 = 0. */
export function smoothedResiduals(residuals: number[], alpha = FORECAST_ALPHA): number[] {
  const out: number[] = [];
  let s = 0;
  for (const r of residuals) out.push((s = alpha * r + (1 - alpha) * s));
  return out;
}

/** r = actual / expected − 1; null when nothing was expected (a day off with a zero baseline). */
export const residual = (actual: number, expected: number) => (expected > 0 ? actual / expected - 1 : null);

export const forecastSlot = (expected: number, s: number) => expected * (1 + s);

/**
 * The forecast's own error over past days: each day forecast with the s of the days before it,
 * against what it was. MAPE in % over the days that expected something.
 */
export function pastForecastError(days: Array<{ actual: number; expected: number }>, alpha = FORECAST_ALPHA): { days: number; mape: number | null } {
  let s = 0,
    n = 0,
    sum = 0;
  for (const d of days) {
    if (d.expected > 0 && d.actual > 0) {
      sum += Math.abs(forecastSlot(d.expected, s) - d.actual) / d.actual;
      n++;
    }
    const r = residual(d.actual, d.expected);
    if (r !== null) s = alpha * r + (1 - alpha) * s;
  }
  return { days: n, mape: n ? (sum / n) * 100 : null };
}
