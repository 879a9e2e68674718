import { barLabel, calendarPeriods, changeFromPrevious, demandChart, energyBarsChart, zonedMidnight } from './energy-charts';

const iso = (d: Date) => d.toISOString();
const colors = { posto: { foraPonta: 'g', intermediario: 'y', ponta: 'r' }, total: 'b', previous: 'grey', grid: '#ccc', text: '#333' };
const words = { posto: { foraPonta: 'Off-peak', intermediario: 'Shoulder', ponta: 'Peak' }, total: 'kWh', previous: 'Previous', kWh: 'kWh' };

describe('calendarPeriods', () => {
  it('cuts days, Monday weeks, months and years at midnight in the client’s time zone (São Paulo, UTC−3)', () => {
    // 01:00 UTC on Wednesday Nov 25 is 22:00 on Tuesday Nov 24 in São Paulo.
    const now = new Date('2026-11-25T01:00:00Z');
    const today = calendarPeriods('today', now, 'America/Sao_Paulo');
    expect([iso(today.current.from), iso(today.current.to), today.current.interval]).toEqual(['2026-11-24T03:00:00.000Z', '2026-11-25T03:00:00.000Z', 'hour']);
    expect(iso(today.previous.from)).toBe('2026-11-23T03:00:00.000Z');
    const week = calendarPeriods('week', now, 'America/Sao_Paulo');
    // Tuesday the 24th → Monday the 23rd; the week before starts Monday the 16th.
    expect([iso(week.current.from), iso(week.current.to), iso(week.previous.from)]).toEqual([
      '2026-11-23T03:00:00.000Z',
      '2026-11-30T03:00:00.000Z',
      '2026-11-16T03:00:00.000Z',
    ]);
    const month = calendarPeriods('month', now, 'America/Sao_Paulo');
    expect([iso(month.current.from), iso(month.current.to), iso(month.previous.from), month.current.interval]).toEqual([
      '2026-11-01T03:00:00.000Z',
      '2026-12-01T03:00:00.000Z',
      '2026-10-01T03:00:00.000Z',
      'day',
    ]);
    const year = calendarPeriods('year', now, 'America/Sao_Paulo');
    expect([iso(year.current.from), iso(year.previous.from), year.current.interval]).toEqual(['2026-01-01T03:00:00.000Z', '2025-01-01T03:00:00.000Z', 'month']);
  });

  it('gives a 23-hour day where summer time starts (Berlin, March 29, 2026: UTC+1 until 02:00, then UTC+2)', () => {
    const day = calendarPeriods('today', new Date('2026-03-29T12:00:00Z'), 'Europe/Berlin').current;
    expect([iso(day.from), iso(day.to)]).toEqual(['2026-03-28T23:00:00.000Z', '2026-03-29T22:00:00.000Z']);
    expect(zonedMidnight(2026, 0, 1, 'UTC')).toBe(Date.UTC(2026, 0, 1));
  });
});

describe('energyBarsChart', () => {
  const bar = (start: string, kWh: number | null, split?: [number, number, number]) => ({
    start,
    kWh,
    byPosto: split ? { foraPonta: { kWh: split[0] }, intermediario: { kWh: split[1] }, ponta: { kWh: split[2] } } : undefined,
  });

  it('stacks the postos of this period and puts the previous period’s totals beside them, position by position', () => {
    const current = [bar('2026-11-01T03:00:00Z', 24, [19, 2, 3]), bar('2026-11-02T03:00:00Z', null, undefined), bar('2026-11-03T03:00:00Z', 12, [12, 0, 0])];
    const previous = [bar('2026-10-01T03:00:00Z', 20), bar('2026-10-02T03:00:00Z', 18)];
    const chart = energyBarsChart(current, previous, ['1', '2', '3'], colors, words);
    const sets = chart.data.datasets.map((d) => [d.label, d.stack, d.data]);
    // The second day has no readings: no bar (null), not a zero bar.
    expect(sets).toEqual([
      ['Off-peak', 'current', [19, null, 12]],
      ['Shoulder', 'current', [2, null, 0]],
      ['Peak', 'current', [3, null, 0]],
      ['Previous', 'previous', [20, 18, null]],
    ]);
  });

  it('draws one bar per interval without a tariff, and leaves out a posto no bar uses', () => {
    const plain = energyBarsChart([bar('2026-11-01T03:00:00Z', 5)], [], ['1'], colors, words);
    expect(plain.data.datasets.map((d) => [d.label, d.data])).toEqual([['kWh', [5]]]);
    const offPeakOnly = energyBarsChart([bar('2026-11-07T03:00:00Z', 24, [24, 0, 0])], [], ['7'], colors, words);
    expect(offPeakOnly.data.datasets.map((d) => d.label)).toEqual(['Off-peak']);
  });
});

describe('demandChart', () => {
  it('breaks the curve where 15-minute windows are missing and draws the contracted demand across the range', () => {
    const points = [
      { start: '2026-11-24T03:00:00Z', kW: 1 },
      { start: '2026-11-24T03:15:00Z', kW: 1 },
      // 03:30 is missing
      { start: '2026-11-24T03:45:00Z', kW: 0.4 },
    ];
    const chart = demandChart(
      points,
      { kW: 1, at: '2026-11-24T03:00:00Z' },
      [{ label: 'Contracted', kW: 0.8 }],
      { line: 'b', peak: 'r', contracted: 'k', grid: '#ccc', text: '#333' },
      { demand: 'Demand', peak: 'Peak' },
      'en-GB',
      'UTC',
    );
    const t0 = Date.parse('2026-11-24T03:00:00Z');
    const q = 900_000;
    expect(chart.data.datasets[0].data).toEqual([
      { x: t0, y: 1 },
      { x: t0 + q, y: 1 },
      { x: t0 + 2 * q, y: null },
      { x: t0 + 3 * q, y: 0.4 },
    ]);
    expect(chart.data.datasets[1].label).toBe('Peak 1.00 kW');
    expect(chart.data.datasets[2].data).toEqual([
      { x: t0, y: 0.8 },
      { x: t0 + 4 * q, y: 0.8 },
    ]);
  });
});

describe('bar labels and comparison', () => {
  it('labels bars in the user’s language and the client’s time zone', () => {
    expect(barLabel('2026-11-24T20:00:00Z', 'hour', 'pt-BR', 'America/Sao_Paulo')).toBe('17:00');
    expect(barLabel('2026-11-01T03:00:00Z', 'month', 'en-GB', 'America/Sao_Paulo')).toBe('Nov');
  });

  it('compares with the previous period in per cent, and not at all against nothing', () => {
    expect(changeFromPrevious(110, 100)).toBeCloseTo(10, 10);
    expect(changeFromPrevious(110, 0)).toBeNull();
    expect(changeFromPrevious(null, 100)).toBeNull();
  });
});
