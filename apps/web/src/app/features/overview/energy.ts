import type { ApiResponse } from '@pieng/api-client';

/** Energy counters, most specific first: single-phase meters report `energy`, three-phase ones `importEnergy`. */
export const ENERGY_METRICS = ['energy', 'importEnergy'] as const;

/**
 * Energy used in a period from a cumulative counter's series (Wh): last bucket's max minus first bucket's min.
 * A counter reset (value going down) makes the difference negative; then nothing is counted rather than a wrong number.
 */
export function energyInPeriod(series: ApiResponse<'getSeries'>): number {
  for (const metric of ENERGY_METRICS) {
    const points = series.series.find((s) => s.metric === metric)?.points ?? [];
    if (points.length === 0) continue;
    const used = points[points.length - 1].max - points[0].min;
    return used > 0 ? used : 0;
  }
  return 0;
}
