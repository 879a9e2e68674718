/**
 * Excess reactive energy as ANEEL bills it to consumers: the reference power factor is 0.92, judged hour by
 * hour; an hour whose power factor fT is below it adds EEAM × (0.92 / fT − 1) kWh, EEAM being the active
 * energy measured in that hour. (Distributors judge inductive hours and capacitive night hours apart; a meter
 * that reports no sign of its reactive power cannot tell them apart, so every hour is judged the same.)
 */
export const REFERENCE_POWER_FACTOR = 0.92;

/** What an hour's rollups say about its power factor: means of power (W), reactive power (var) and power factor. */
export interface HourMeans {
  power?: number;
  reactivePower?: number;
  powerFactor?: number;
}

/**
 * The hour's power factor: from its mean active and reactive power where the meter reports both (P / √(P² + Q²)),
 * else the mean of the power factor it reports; null when it reports neither (or no power at all).
 */
export function hourPowerFactor(h: HourMeans): number | null {
  if (h.power !== undefined && h.reactivePower !== undefined) {
    const apparent = Math.hypot(h.power, h.reactivePower);
    return apparent > 0 ? Math.abs(h.power) / apparent : null;
  }
  if (h.powerFactor !== undefined && Number.isFinite(h.powerFactor)) return Math.min(1, Math.abs(h.powerFactor));
  return null;
}

/** The excess reactive energy (kWh) of an hour with `kWh` of active energy at power factor `pf`; 0 at or above 0.92. */
export function reactiveExcessKWh(kWh: number, pf: number): number {
  if (!(kWh > 0) || !(pf > 0) || pf >= REFERENCE_POWER_FACTOR) return 0;
  return kWh * (REFERENCE_POWER_FACTOR / pf - 1);
}
