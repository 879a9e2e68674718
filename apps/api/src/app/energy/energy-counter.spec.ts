import { counterQuarters, EnergySettings, powerQuarters, QUARTER_MS, ReadingBucket } from './energy-counter';

const T0 = Date.UTC(2026, 10, 2, 0, 0, 0);
const MIN = 60_000;
const at = (minutes: number) => T0 + minutes * MIN;
/** One raw reading as a bucket. */
const r = (minutes: number, value: number): ReadingBucket => ({
  firstTs: at(minutes),
  first: value,
  lastTs: at(minutes),
  last: value,
  min: value,
  max: value,
  count: 1,
  sum: value,
});
const settings: EnergySettings = { maxPowerW: 200_000, pollIntervalMs: 30_000 };
const whByQuarter = (rows: ReturnType<typeof counterQuarters>) => Object.fromEntries(rows.map((q) => [(q.quarter - T0) / MIN, q.wh]));
const sum = (rows: ReturnType<typeof counterQuarters>, k: 'wh' | 'resets' | 'spikes' | 'rollovers' | 'interpolatedWh') => rows.reduce((a, q) => a + q[k], 0);

describe('energy from a counter', () => {
  it('holds the worked example of issue 13: 0.85 kWh over the hour and demands 1.0, 1.0, 0.4, 1.0 kW', () => {
    // 1,000 → 1,250 (00:15): 250; → 1,500 (00:30): 250; → 100 (00:45): a reset, counts 100; → 350 (01:00): 250.
    const rows = counterQuarters([r(0, 1000), r(15, 1250), r(30, 1500), r(45, 100), r(60, 350)], settings);
    // A reading on 00:15 closes the 00:00 quarter, so the 00:00 reading opens no energy of its own.
    expect(whByQuarter(rows)).toEqual({ [-15]: 0, 0: 250, 15: 250, 30: 100, 45: 250 });
    expect(sum(rows, 'wh')).toBe(850); // 250 + 250 + 100 + 250
    // D = Wh per quarter × 4 / 1000: 250 × 4 = 1,000 W = 1.0 kW; 100 × 4 = 0.4 kW.
    expect(rows.filter((q) => q.quarter >= T0).map((q) => (q.wh * 4) / 1000)).toEqual([1.0, 1.0, 0.4, 1.0]);
    expect(sum(rows, 'resets')).toBe(1);
    expect(rows.find((q) => q.quarter === at(30))?.resets).toBe(1);
  });

  it('leaves a spike out and keeps the reading before it as the reference: 1,000, 999,999, 1,010 counts 10 Wh', () => {
    // 998,999 Wh in one minute would be 59.9 MW, above 200 kW.
    const rows = counterQuarters([r(1, 1000), r(2, 999_999), r(3, 1010)], settings);
    expect(sum(rows, 'wh')).toBe(10);
    expect(sum(rows, 'spikes')).toBe(1);
  });

  it('counts a PZEM register that wraps at 2^32 Wh across the wrap', () => {
    // 2^32 − 100 = 4,294,967,196 Wh, then 50 Wh: 100 to the top and 50 after = 150 Wh.
    const rows = counterQuarters([r(1, 4_294_967_196), r(16, 50)], { ...settings, registerModulus: 2 ** 32 });
    expect(sum(rows, 'wh')).toBe(150);
    expect(sum(rows, 'rollovers')).toBe(1);
    expect(sum(rows, 'resets')).toBe(0);
  });

  it('treats the same drop without a known register width as a reset that counts from 0', () => {
    const rows = counterQuarters([r(1, 4_294_967_196), r(16, 50)], settings);
    expect(sum(rows, 'wh')).toBe(50);
    expect(sum(rows, 'resets')).toBe(1);
  });

  it('counts nothing for a dip within 10 % and continues from the higher value', () => {
    // 1,000 → 995 (jitter, 0) → 1,020: 20 from the higher 1,000, not 25 from 995.
    const rows = counterQuarters([r(1, 1000), r(2, 995), r(3, 1020)], settings);
    expect(sum(rows, 'wh')).toBe(20);
    expect(sum(rows, 'resets')).toBe(0);
  });

  it('spreads a delta over a gap longer than 15 minutes evenly and flags it interpolated', () => {
    // 00:10 → 01:10 is an hour (> max(3 × 30 s, 15 min)); 600 Wh over 60 minutes is 10 Wh a minute:
    // quarter 00:00 gets 00:10-00:15 = 50, 00:15, 00:30, 00:45 get 150 each, 01:00 gets 01:00-01:10 = 100.
    const rows = counterQuarters([r(10, 1000), r(70, 1600)], settings);
    const wh = whByQuarter(rows);
    for (const [k, v] of Object.entries({ 0: 50, 15: 150, 30: 150, 45: 150, 60: 100 })) expect(wh[k]).toBeCloseTo(v, 9);
    expect(sum(rows, 'interpolatedWh')).toBeCloseTo(600, 9);
  });

  it('does not flag a delta over exactly 15 minutes as interpolated', () => {
    const rows = counterQuarters([r(0, 1000), r(15, 1100)], settings);
    expect(sum(rows, 'interpolatedWh')).toBe(0);
  });

  it('splits a delta across a quarter boundary by time', () => {
    // 00:10 → 00:20, 100 Wh: 5 minutes in each quarter, 50 + 50.
    const rows = counterQuarters([r(10, 1000), r(20, 1100)], settings);
    expect(whByQuarter(rows)).toEqual({ 0: 50, 15: 50 });
  });

  it('reads 1-minute buckets: a reset inside one counts what it rose to before and the new value', () => {
    // Bucket 1,000 … max 1,040 … last 30: (1,040 − 1,000) + 30 = 70 Wh.
    const b: ReadingBucket = { firstTs: at(1), first: 1000, lastTs: at(1) + 50_000, last: 30, min: 30, max: 1040, count: 6 };
    const rows = counterQuarters([b], settings);
    expect(sum(rows, 'wh')).toBe(70);
    expect(sum(rows, 'resets')).toBe(1);
  });

  it('flags a spike inside a bucket whose last value is fine', () => {
    // 1,000 … max 999,999 … last 1,010 in 50 s: 10 Wh counted, the rise to the max flagged.
    const b: ReadingBucket = { firstTs: at(1), first: 1000, lastTs: at(1) + 50_000, last: 1010, min: 1000, max: 999_999, count: 3 };
    const rows = counterQuarters([b], settings);
    expect(sum(rows, 'wh')).toBe(10);
    expect(sum(rows, 'spikes')).toBe(1);
  });

  it('continues from a stored chain state with the same result as in one go', () => {
    const readings = [r(0, 1000), r(7, 1070), r(15, 1250), r(22, 1400), r(30, 1500), r(45, 100), r(60, 350)];
    const whole = counterQuarters(readings, settings);
    // Stop after 00:22 (quarter 00:15), then continue from that quarter's end state.
    const head = counterQuarters(readings.slice(0, 4), settings);
    const state = head[head.length - 1].state;
    expect(state.refTs).toBe(at(22));
    const tail = counterQuarters(readings.slice(4), settings, state);
    const joined = [...head.filter((q) => q.quarter < tail[0].quarter), ...tail];
    expect(joined.map((q) => [q.quarter, q.wh, q.resets])).toEqual(whole.map((q) => [q.quarter, q.wh, q.resets]));
  });
});

describe('energy from power', () => {
  it('integrates by trapezoids and never across a gap', () => {
    // 1,000 W at 00:01, 2,000 W at 00:02: (1,000 + 2,000) / 2 × 1/60 h = 25 Wh; 00:02 → 00:40 is a gap: nothing.
    const rows = powerQuarters([r(1, 1000), r(2, 2000), r(40, 3000)], settings);
    expect(sum(rows, 'wh')).toBeCloseTo(25, 9);
  });

  it('integrates inside a bucket from its sum: Δt × (sum − (first + last) / 2)', () => {
    // Samples 100, 200, 300 W every 20 s: trapezoids (100+200)/2 × 20 s + (200+300)/2 × 20 s = 3,000 + 5,000 W·s = 8,000 W·s = 2.2222 Wh;
    // from the sum: 20 s × (600 − 200) = 8,000 W·s.
    const b: ReadingBucket = { firstTs: at(1), first: 100, lastTs: at(1) + 40_000, last: 300, min: 100, max: 300, count: 3, sum: 600 };
    const rows = powerQuarters([b], settings);
    expect(sum(rows, 'wh')).toBeCloseTo(8000 / 3600, 9);
  });

  it('splits a trapezoid across quarters', () => {
    // 1,200 W steady from 00:14 to 00:16: 20 Wh per minute, 20 to 00:00 and 20 to 00:15.
    const rows = powerQuarters([r(14, 1200), r(16, 1200)], { ...settings, pollIntervalMs: 120_000 });
    expect(rows.map((q) => [(q.quarter - T0) / MIN, Math.round(q.wh * 1e9) / 1e9])).toEqual([
      [0, 20],
      [15, 20],
    ]);
    expect(QUARTER_MS).toBe(15 * MIN);
  });
});
