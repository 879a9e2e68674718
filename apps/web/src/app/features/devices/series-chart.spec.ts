import { withGaps } from './series-chart';

const point = (iso: string, avg: number) => ({ t: iso, avg, min: avg - 1, max: avg + 1, count: 3 });

describe('withGaps', () => {
  it('breaks the line where buckets without readings are missing, instead of drawing across the outage', () => {
    // 5-minute buckets: 12:00, 12:05, then nothing until 12:25 (a meter offline for 15 minutes).
    const data = withGaps([point('2026-11-30T12:00:00Z', 1), point('2026-11-30T12:05:00Z', 2), point('2026-11-30T12:25:00Z', 3)], 300_000, (p) => p.avg);
    expect(data).toEqual([
      { x: Date.parse('2026-11-30T12:00:00Z'), y: 1 },
      { x: Date.parse('2026-11-30T12:05:00Z'), y: 2 },
      { x: Date.parse('2026-11-30T12:10:00Z'), y: null },
      { x: Date.parse('2026-11-30T12:25:00Z'), y: 3 },
    ]);
  });

  it('draws consecutive buckets as one line, day buckets of 23 or 25 hours included', () => {
    const days = [point('2026-03-27T23:00:00Z', 1), point('2026-03-28T23:00:00Z', 2), point('2026-03-29T22:00:00Z', 3)];
    expect(withGaps(days, 86_400_000, (p) => p.max).map((d) => d.y)).toEqual([2, 3, 4]);
  });
});
