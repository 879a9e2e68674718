import { intervalStarts } from './energy-intervals';

const iso = (ms: number) => new Date(ms).toISOString();

describe('energy intervals', () => {
  it('starts local hours on the half hour in India (UTC+05:30)', () => {
    // 10:00-11:59 local on 2026-11-02 is 04:30-06:29 UTC: hours start at 04:30 and 05:30, the last ends at 06:30.
    const starts = intervalStarts('hour', Date.UTC(2026, 10, 2, 4, 30), Date.UTC(2026, 10, 2, 6, 29), 'Asia/Kolkata');
    expect(starts.map(iso)).toEqual(['2026-11-02T04:30:00.000Z', '2026-11-02T05:30:00.000Z', '2026-11-02T06:30:00.000Z']);
  });

  it('gives a 25-hour day where the clock goes back (New York, 2026-11-01)', () => {
    // EDT (UTC−4) until 02:00 local, then EST (UTC−5): the day runs from 04:00 UTC to 05:00 UTC the next day.
    const starts = intervalStarts('day', Date.UTC(2026, 10, 1, 4), Date.UTC(2026, 10, 2, 4, 59), 'America/New_York');
    expect(starts.map(iso)).toEqual(['2026-11-01T04:00:00.000Z', '2026-11-02T05:00:00.000Z']);
  });

  it('starts weeks on Monday and months on the 1st, at local midnight', () => {
    // Thursday 2026-11-05 in São Paulo (UTC−3): its week is Monday 2 to Monday 9, its month November.
    const thursday = Date.UTC(2026, 10, 5, 12);
    expect(intervalStarts('week', thursday, thursday, 'America/Sao_Paulo').map(iso)).toEqual(['2026-11-02T03:00:00.000Z', '2026-11-09T03:00:00.000Z']);
    expect(intervalStarts('month', thursday, thursday, 'America/Sao_Paulo').map(iso)).toEqual(['2026-11-01T03:00:00.000Z', '2026-12-01T03:00:00.000Z']);
  });

  it('includes the interval that holds `to`, and a `from` on a boundary starts there', () => {
    const starts = intervalStarts('15m', Date.UTC(2026, 10, 2, 0, 0), Date.UTC(2026, 10, 2, 0, 15), 'UTC');
    expect(starts.map(iso)).toEqual(['2026-11-02T00:00:00.000Z', '2026-11-02T00:15:00.000Z', '2026-11-02T00:30:00.000Z']);
  });
});
