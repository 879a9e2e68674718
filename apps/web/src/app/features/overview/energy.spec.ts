import { energyInPeriod } from './energy';

const point = (min: number, max: number) => ({ t: '2026-03-10T00:00:00Z', avg: (min + max) / 2, min, max, count: 1 });
const series = (metric: string, points: ReturnType<typeof point>[]) => ({ from: '', to: '', bucketMs: 3600_000, resolution: '1h' as const, timezone: 'UTC', series: [{ metric, unit: 'Wh', points }] });

describe('energyInPeriod', () => {
  it('is the last bucket maximum minus the first bucket minimum of the counter', () => {
    expect(energyInPeriod(series('energy', [point(1000, 1010), point(1010, 1500), point(1500, 2250)]))).toBe(1250);
  });

  it('falls back to the import counter of three-phase meters', () => {
    expect(energyInPeriod(series('importEnergy', [point(500, 600), point(600, 900)]))).toBe(400);
  });

  it('counts nothing when the counter went back (reset) or there are no values', () => {
    expect(energyInPeriod(series('energy', [point(5000, 5000), point(10, 20)]))).toBe(0);
    expect(energyInPeriod(series('energy', []))).toBe(0);
  });
});
