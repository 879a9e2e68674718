import { degreeDays, expectedEnergy, FitError, fitBaseline, g14Verdict } from './baseline-fit';
import { dayType, expectedBand, median, robustScore, scoreHours, HourEnergy } from './consumption-anomaly';
import { forecastSlot, pastForecastError, smoothedResiduals } from './consumption-forecast';
import { classifyVoltage, PRODIST_RANGES, weeklyConformity } from './voltage-conformity';
import { compileExpression, ExpressionError, limitedMath } from './virtual-meter-expression';

describe('baseline fit (least squares by QR, G14 figures)', () => {
  it('fits kWh = 8 + 2 · units to 10, 12, 14, 16 against 1, 2, 3, 4 with R² = 1, and a fifth day saves 18 − 17 = 1 kWh', () => {
    const fit = fitBaseline([[1], [2], [3], [4]], [10, 12, 14, 16], ['units']);
    expect(fit.coefficients[0]).toBeCloseTo(8, 10);
    expect(fit.coefficients[1]).toBeCloseTo(2, 10);
    expect(fit.r2).toBe(1);
    expect(fit.cvRmse).toBeCloseTo(0, 10);
    expect(fit.standardErrors[1]).toBeCloseTo(0, 10);
    const expected = expectedEnergy(fit.coefficients, [5]);
    expect(expected).toBeCloseTo(18, 10);
    expect(expected - 17).toBeCloseTo(1, 10);
  });

  it('gives standard errors, CV(RMSE) and NMBE worked by hand on a noisy line', () => {
    // x = 1..5, y = 10, 12, 15, 16, 19: x̄ = 3, ȳ = 14.4, Sxx = 10, Sxy = 2·(-4.4)... computed below by hand:
    // Σ(x−x̄)(y−ȳ) = (−2)(−4.4) + (−1)(−2.4) + 0 + (1)(1.6) + (2)(4.6) = 8.8 + 2.4 + 1.6 + 9.2 = 22 → b1 = 2.2, b0 = 14.4 − 6.6 = 7.8.
    // Fitted 10, 12.2, 14.4, 16.6, 18.8; residuals 0, −0.2, 0.6, −0.6, 0.2; SSE = 0.8; SST = 19.36 + 5.76 + 0.36 + 2.56 + 21.16 = 49.2.
    const fit = fitBaseline([[1], [2], [3], [4], [5]], [10, 12, 15, 16, 19]);
    expect(fit.coefficients[0]).toBeCloseTo(7.8, 10);
    expect(fit.coefficients[1]).toBeCloseTo(2.2, 10);
    expect(fit.r2).toBeCloseTo(1 - 0.8 / 49.2, 10);
    // σ² = 0.8 / 3; se(b1) = sqrt(σ² / Sxx) = sqrt(0.8/30); se(b0) = sqrt(σ² (1/n + x̄²/Sxx)) = sqrt(0.8/3 · (0.2 + 0.9)).
    expect(fit.standardErrors[1]).toBeCloseTo(Math.sqrt(0.8 / 30), 10);
    expect(fit.standardErrors[0]).toBeCloseTo(Math.sqrt((0.8 / 3) * 1.1), 10);
    // CV(RMSE) = sqrt(0.8/3)/14.4 × 100 = 3.586 %; NMBE = 0 (least squares with a constant).
    expect(fit.cvRmse).toBeCloseTo((Math.sqrt(0.8 / 3) / 14.4) * 100, 10);
    expect(fit.nmbe).toBeCloseTo(0, 10);
    expect(g14Verdict(fit, 'monthly')).toEqual({ criteria: 'monthly', cvRmseLimit: 15, nmbeLimit: 5, passes: true });
    expect(g14Verdict({ cvRmse: 20, nmbe: 0 }, 'monthly').passes).toBe(false);
    expect(g14Verdict({ cvRmse: 20, nmbe: 0 }, 'hourly').passes).toBe(true);
    expect(g14Verdict({ cvRmse: 20, nmbe: -10.5 }, 'hourly').passes).toBe(false);
  });

  it('fits two drivers exactly: y = 1 + 2a + 3b', () => {
    const rows = [
      [1, 0],
      [0, 1],
      [1, 1],
      [2, 1],
      [3, 5],
      [4, 2],
    ];
    const fit = fitBaseline(
      rows,
      rows.map(([a, b]) => 1 + 2 * a + 3 * b),
      ['a', 'b'],
    );
    [1, 2, 3].forEach((v, i) => expect(fit.coefficients[i]).toBeCloseTo(v, 9));
  });

  it('refuses too few points and a singular design, naming the cause', () => {
    expect(() => fitBaseline([[1], [2], [3]], [1, 2, 3])).toThrow(
      new FitError('3 points for 2 coefficients: a baseline needs at least coefficients + 2 = 4 points'),
    );
    expect(() =>
      fitBaseline(
        [
          [1, 2],
          [2, 4],
          [3, 6],
          [4, 8],
          [5, 10],
        ],
        [1, 2, 3, 4, 6],
        ['production', 'hours'],
      ),
    ).toThrow(/singular design: hours/);
    expect(() => fitBaseline([[7], [7], [7], [7]], [1, 2, 3, 4], ['flat'])).toThrow(/singular design: flat/);
  });

  it('sums degree-days: CDD = Σ max(0, Tmean − base), HDD the other way', () => {
    // Means 20, 24, 27.5 against base 22: CDD = 0 + 2 + 5.5 = 7.5; HDD = 2 + 0 + 0 = 2.
    expect(degreeDays('cdd', [20, 24, 27.5], 22)).toBeCloseTo(7.5, 12);
    expect(degreeDays('hdd', [20, 24, 27.5], 22)).toBeCloseTo(2, 12);
  });
});

describe('consumption anomalies (median, MAD, modified z)', () => {
  it('scores the worked example: median 10.35, MAD 0.30; 12.4 → 4.61 (anomaly), 10.9 → 1.24', () => {
    const history = [10.2, 10.8, 9.9, 10.5];
    expect(median(history)).toBeCloseTo(10.35, 12);
    const high = robustScore(history, 12.4);
    expect(high.median).toBeCloseTo(10.35, 12);
    expect(high.mad).toBeCloseTo(0.3, 12);
    // 0.6745 × 2.05 / 0.30 = 4.6091
    expect(high.z).toBeCloseTo(4.61, 2);
    expect(high.anomaly).toBe(true);
    const normal = robustScore(history, 10.9);
    // 0.6745 × 0.55 / 0.30 = 1.2366
    expect(normal.z).toBeCloseTo(1.24, 2);
    expect(normal.anomaly).toBe(false);
    // Band: 10.35 ± 3.5 × 0.30 / 0.6745 = ± 1.5567
    const band = expectedBand(high);
    expect(band.low).toBeCloseTo(10.35 - 1.05 / 0.6745, 10);
    expect(band.high).toBeCloseTo(10.35 + 1.05 / 0.6745, 10);
  });

  it('floors the MAD at 1 % of the median or the resolution', () => {
    // A flat history 10, 10, 10, 10: MAD 0 → 0.1 (1 %); 10.5 scores 0.6745 × 0.5 / 0.1 = 3.3725.
    expect(robustScore([10, 10, 10, 10], 10.5).z).toBeCloseTo(3.3725, 10);
    expect(robustScore([10, 10, 10, 10], 10.5, 0.5).mad).toBe(0.5);
  });

  it('compares an hour with the same hour of the last four days of its type', () => {
    expect(dayType('2026-11-30', 1, () => false)).toBe('weekday');
    expect(dayType('2026-11-28', 6, () => false)).toBe('saturday');
    expect(dayType('2026-11-29', 0, () => false)).toBe('sundayOrHoliday');
    expect(dayType('2026-11-20', 5, (d) => d === '2026-11-20')).toBe('sundayOrHoliday');
    const H = 3_600_000;
    const hours: HourEnergy[] = [];
    // Five weekdays of hour 9 (days 1-5), a Saturday in between with 99 that must not count, then the day scored.
    const values = [10.2, 10.8, 9.9, 10.5, 12.4];
    values.forEach((kWh, k) => {
      hours.push({ start: k * 24 * H + 9 * H, kWh, day: k, hour: 9, type: 'weekday' });
      if (k === 2) hours.push({ start: k * 24 * H + 12 * H, kWh: 99, day: k, hour: 9, type: 'saturday' });
    });
    const scored = scoreHours(hours, 4 * 24 * H);
    expect(scored).toHaveLength(1);
    expect(scored[0].expectedKWh).toBeCloseTo(10.35, 12);
    expect(scored[0].z).toBeCloseTo(4.61, 2);
  });
});

describe('forecast (EWMA of daily residuals)', () => {
  it('gives s = 0.03 then 0.033 and forecasts an expected 10.35 kWh day at 10.69 kWh', () => {
    const s = smoothedResiduals([0.1, 0.04]);
    expect(s[0]).toBeCloseTo(0.03, 12);
    expect(s[1]).toBeCloseTo(0.033, 12);
    expect(forecastSlot(10.35, s[1])).toBeCloseTo(10.69, 2);
  });

  it('measures its own error on past days', () => {
    // Day 1 forecast with s = 0: 10 vs 11 actual → 1/11; s = 0.3 × 0.1 = 0.03; day 2 forecast 10.3 vs 10 → 0.03.
    const e = pastForecastError([
      { expected: 10, actual: 11 },
      { expected: 10, actual: 10 },
    ]);
    expect(e.days).toBe(2);
    expect(e.mape).toBeCloseTo(((1 / 11 + 0.3 / 10) / 2) * 100, 10);
  });
});

describe('voltage conformity (PRODIST Módulo 8)', () => {
  it('classifies 220 V readings at the range edges', () => {
    const r = PRODIST_RANGES[220];
    expect([202, 231, 201.9, 191, 231.1, 233, 190.9, 233.1].map((v) => classifyVoltage(v, r))).toEqual([
      'adequate',
      'adequate',
      'precarious',
      'precarious',
      'precarious',
      'precarious',
      'critical',
      'critical',
    ]);
    expect(classifyVoltage(116.9, PRODIST_RANGES[127])).toBe('precarious');
    expect(classifyVoltage(135.1, PRODIST_RANGES[127])).toBe('critical');
    expect(classifyVoltage(400, PRODIST_RANGES[380])).toBe('precarious');
    expect(classifyVoltage(330, PRODIST_RANGES[380])).toBe('critical');
  });

  it('gives DRP and DRC over 1,008 readings, from the worst phase', () => {
    const M = 600_000;
    const readings = Array.from({ length: 1008 }, (_, k) => ({
      start: k * M,
      // L1: 40 precarious (3.97 % > 3 %), 5 critical (0.496 % ≤ 0.5 %); L2: 10 precarious, 6 critical (0.595 %).
      phases: { L1: k < 40 ? 195 : k < 45 ? 240 : 220, L2: k < 10 ? 232 : k < 16 ? 180 : 220 },
    }));
    const [week] = weeklyConformity(readings, 0, 1008 * M, PRODIST_RANGES[220]);
    expect(week.readings).toBe(1008);
    expect(week.complete).toBe(true);
    expect(week.byPhase).toEqual({ L1: { adequate: 963, precarious: 40, critical: 5 }, L2: { adequate: 992, precarious: 10, critical: 6 } });
    expect(week.nlp).toBe(40);
    expect(week.nlc).toBe(6);
    expect(week.drp).toBeCloseTo((40 / 1008) * 100, 12);
    expect(week.drc).toBeCloseTo((6 / 1008) * 100, 12);
    expect(week.drpPasses).toBe(false);
    expect(week.drcPasses).toBe(false);
  });
});

describe('virtual meter expressions (restricted mathjs)', () => {
  const inputs = ['main', 'a', 'b'];

  it('computes main 10 kW − (a 3 kW + b 4.5 kW) = 2.5 kW unmetered', () => {
    const e = compileExpression('main.power - (a.power + b.power)', inputs);
    expect(e.reads).toEqual([
      { input: 'main', metric: 'power' },
      { input: 'a', metric: 'power' },
      { input: 'b', metric: 'power' },
    ]);
    expect(e.evaluate({ main: { power: 10 }, a: { power: 3 }, b: { power: 4.5 } })).toBeCloseTo(2.5, 12);
    // A bucket where an input has no value has no result.
    expect(e.evaluate({ main: { power: 10 }, a: { power: 3 }, b: {} })).toBeNull();
  });

  it('allows min, max, abs, sqrt, round and ternaries', () => {
    const e = compileExpression('main.power > 5 ? max(0, round(sqrt(abs(a.power)), 1)) : min(a.power, b.power)', inputs);
    expect(e.evaluate({ main: { power: 6 }, a: { power: -2 }, b: { power: 1 } })).toBe(1.4);
    expect(e.evaluate({ main: { power: 1 }, a: { power: -2 }, b: { power: 1 } })).toBe(-2);
  });

  it.each([
    ['main.power - (a.power +', /does not parse.*char 24/, 24],
    ['main.power - c.power', /unknown input c/, 14],
    ['evaluate("1")', /calls evaluate/, 1],
    ['import({}, {})', /calls import/, 1],
    ['createUnit("x")', /calls createUnit/, 1],
    ['parse("1")', /calls parse/, 1],
    ['simplify(main.power)', /calls simplify/, 1],
    ['derivative(main.power, main)', /calls derivative/, 1],
    ['main.constructor', /not a metric name/, null],
    ['main["power"]', /only input.metric/, null],
    ['f(x) = x', /not allowed/, null],
    ['x = 1', /not allowed/, null],
    ['[1, 2]', /not allowed/, null],
    ['"text"', /only numbers/, null],
    ['main', /without a metric/, 1],
    ['pi * 2', /unknown input pi/, 1],
    ['2 mod 3', /operator mod/, null],
    ['main.power.x', /only input.metric/, null],
  ])('refuses %s', (text, message, position) => {
    let error: ExpressionError | undefined;
    try {
      compileExpression(text, inputs);
    } catch (e) {
      error = e as ExpressionError;
    }
    expect(error).toBeInstanceOf(ExpressionError);
    expect(error?.message).toMatch(message);
    if (position !== null) expect(error?.position).toBe(position);
  });

  it('refuses an expression of more than 500 characters', () => {
    expect(() => compileExpression(`main.power${' + 1'.repeat(125)}`, inputs)).toThrow(/more than 500/);
  });
});

describe('the restricted mathjs instance', () => {
  it.each(['import', 'createUnit', 'evaluate', 'parse', 'simplify', 'derivative', 'resolve', 'compile'])('has %s overridden to throw', (name) => {
    expect(() => limitedMath()[name]('1')).toThrow(`Function ${name} is disabled`);
  });

  it('has no units, strings or chains, and its matrix and format (needed by the parser) are out of reach of an expression', () => {
    for (const name of ['unit', 'string', 'chain']) expect(limitedMath()[name]).toBeUndefined();
    expect(() => compileExpression('matrix([1])', [])).toThrow(/calls matrix/);
    expect(() => compileExpression('format(1)', [])).toThrow(/calls format/);
  });
});
