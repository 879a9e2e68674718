import { addValue, mergeMoments, momentsOf } from './bucket-moments';

// Four values of 230 V ± 0.02 at instants 0..3 ms, added out of time order. Worked by hand:
// mean 230.005; deviations +0.015, +0.005, −0.015, −0.005 (t = 0, 1, 2, 3), squares sum to 5e-4;
// t̄ = 1.5, Σ(t − t̄)² = 5, Σ(t − t̄)(v − v̄) = −0.0225 − 0.0025 − 0.0075 − 0.0075 = −0.04.
const values: Array<[number, number]> = [
  [3, 230.0],
  [1, 230.01],
  [2, 229.99],
  [0, 230.02],
];

describe('BucketMoments', () => {
  it('keeps count, sum, min, max, first, last and the moments of values added in any order', () => {
    const b = momentsOf(...values[0]);
    for (const [ts, v] of values.slice(1)) addValue(b, ts, v);
    expect(b).toMatchObject({ count: 4, min: 229.99, max: 230.02, firstTs: 0, firstValue: 230.02, lastTs: 3, lastValue: 230.0 });
    expect(b.sum).toBeCloseTo(920.02, 10);
    expect(b.mean).toBeCloseTo(230.005, 12);
    expect(b.m2).toBeCloseTo(5e-4, 15);
    expect(Math.sqrt(b.m2 / 3)).toBeCloseTo(Math.sqrt(5e-4 / 3), 14);
    expect(b.tsMean).toBe(1.5);
    expect(b.tsM2).toBe(5);
    expect(b.tsValueC).toBeCloseTo(-0.04, 12);
  });

  it('merges two buckets into what one bucket of all their values holds', () => {
    const a = momentsOf(...values[0]);
    addValue(a, ...values[1]);
    const b = momentsOf(...values[2]);
    addValue(b, ...values[3]);
    mergeMoments(a, b);
    expect(a).toMatchObject({ count: 4, min: 229.99, max: 230.02, firstTs: 0, firstValue: 230.02, lastTs: 3, lastValue: 230.0, tsMean: 1.5, tsM2: 5 });
    expect(a.mean).toBeCloseTo(230.005, 12);
    expect(a.m2).toBeCloseTo(5e-4, 15);
    expect(a.tsValueC).toBeCloseTo(-0.04, 12);
  });

  it('keeps σ of a million values of 230.0 ± 0.01 exact, where a raw sum of squares loses it', () => {
    // Alternating 229.99 and 230.01: the mean is 230 and the sample σ is 0.01 × sqrt(n / (n − 1)).
    const n = 1_000_000;
    const halves = [momentsOf(0, 229.99), momentsOf(1, 230.01)];
    let sum = 229.99 + 230.01,
      sumSquares = 229.99 ** 2 + 230.01 ** 2;
    for (let i = 2; i < n; i++) {
      const v = i % 2 ? 230.01 : 229.99;
      addValue(halves[i < n / 2 ? 0 : 1], i, v);
      sum += v;
      sumSquares += v * v;
    }
    mergeMoments(halves[0], halves[1]);
    const exact = 0.01 * Math.sqrt(n / (n - 1));
    expect(Math.sqrt(halves[0].m2 / (n - 1)) / exact).toBeCloseTo(1, 9);
    // What a stored Σv² would give: the digits of σ are gone.
    const naive = Math.sqrt(Math.max(0, (sumSquares - (sum * sum) / n) / (n - 1)));
    expect(Math.abs(naive / exact - 1)).toBeGreaterThan(1e-6);
  });
});
