import { histogram, histogramChart, pairByTimestamp } from './analytics-charts';

describe('histogram', () => {
  it('splits the range into equal bins and puts the maximum in the last one', () => {
    // 0..10 in 5 bins of width 2: [0,2) [2,4) [4,6) [6,8) [8,10]
    expect(histogram([0, 1, 2, 3, 5, 9, 10], 5)).toEqual({ start: 0, binWidth: 2, counts: [2, 2, 1, 0, 2] });
  });

  it('makes one bin of all values when they are equal, and none without values', () => {
    expect(histogram([230, 230, 230])).toEqual({ start: 229.5, binWidth: 1, counts: [3] });
    expect(histogram([]).counts).toEqual([]);
  });

  it('widens the axis to show limits outside the data', () => {
    const config = histogramChart({ start: 225, binWidth: 1, counts: [1, 2, 1] }, [200, 240], String, '#000', '#000', 'n');
    const x = config.options?.scales?.['x'] as { min: number; max: number };
    // limits 200..240, padded by 5 % of the 40 V span on each side
    expect(x.min).toBeCloseTo(198);
    expect(x.max).toBeCloseTo(242);
    expect(config.data.datasets[0].data).toEqual([
      { x: 225.5, y: 1 },
      { x: 226.5, y: 2 },
      { x: 227.5, y: 1 },
    ]);
  });
});

describe('pairByTimestamp', () => {
  it('pairs values of the same reading and drops unmatched ones', () => {
    const xs = [
      { ts: 'a', value: 1 },
      { ts: 'b', value: 2 },
      { ts: 'c', value: 3 },
    ];
    const ys = [
      { ts: 'b', value: 20 },
      { ts: 'c', value: 30 },
      { ts: 'd', value: 40 },
    ];
    expect(pairByTimestamp(xs, ys)).toEqual([
      { x: 2, y: 20 },
      { x: 3, y: 30 },
    ]);
  });
});
