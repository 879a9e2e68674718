import { DAY_MS, localDayStarts, localMidnight } from '../common/time-zones';
import { bucketStarts, chooseStep } from './series-buckets';

const t = (iso: string) => Date.parse(iso);

describe('chooseStep', () => {
  it('picks the smallest clock-friendly width that gives at most `points` buckets', () => {
    // 500 s from a whole minute: 1 s gives 500 buckets.
    expect(chooseStep(t('2026-11-30T00:00:00Z'), t('2026-11-30T00:08:19.999Z'), 500, 'UTC')).toEqual({ kind: 'fixed', ms: 1000 });
    // The same in 100 points: 5 s gives 100.
    expect(chooseStep(t('2026-11-30T00:00:00Z'), t('2026-11-30T00:08:19.999Z'), 100, 'UTC')).toEqual({ kind: 'fixed', ms: 5000 });
    // A day in 500 points: 1 min gives 1,440, 5 min gives 288.
    expect(chooseStep(t('2026-11-30T00:00:00Z'), t('2026-11-30T23:59:59.999Z'), 500, 'UTC')).toEqual({ kind: 'fixed', ms: 300_000 });
    // Unaligned ends count the buckets they touch: 00:00:30 to 00:10:30 touches 11 one-minute buckets.
    expect(chooseStep(t('2026-11-30T00:00:30Z'), t('2026-11-30T00:10:30Z'), 10, 'UTC')).toEqual({ kind: 'fixed', ms: 300_000 });
    expect(chooseStep(t('2026-11-30T00:00:30Z'), t('2026-11-30T00:10:30Z'), 11, 'UTC')).toEqual({ kind: 'fixed', ms: 60_000 });
  });

  it('starts at the finest width still kept: a day whose raw readings retention removed is drawn in whole minutes or more', () => {
    expect(chooseStep(t('2026-11-30T00:00:00Z'), t('2026-11-30T00:08:19.999Z'), 500, 'UTC', 60_000)).toEqual({ kind: 'fixed', ms: 60_000 });
    expect(chooseStep(t('2026-11-30T00:00:00Z'), t('2026-11-30T23:59:59.999Z'), 500, 'UTC', 900_000)).toEqual({ kind: 'fixed', ms: 900_000 });
  });

  it('uses days past 12 hours, and whole numbers of days for long ranges', () => {
    // 2025 in 500 points: 12 h gives 730, days give 365.
    expect(chooseStep(t('2025-01-01T00:00:00Z'), t('2025-12-31T23:59:59.999Z'), 500, 'UTC')).toEqual({ kind: 'days', days: 1, timeZone: 'UTC' });
    // 2016-2025 (3,653 days) in 500 points: 8 days each.
    expect(chooseStep(t('2016-01-01T00:00:00Z'), t('2025-12-31T23:59:59.999Z'), 500, 'UTC')).toEqual({ kind: 'days', days: 8, timeZone: 'UTC' });
  });
});

describe('day buckets in the client time zone', () => {
  it('start at local midnight: 03:00 UTC in São Paulo (UTC−3 all year since 2019)', () => {
    expect(localDayStarts(t('2026-03-10T12:00:00Z'), t('2026-03-12T02:59:59Z'), 'America/Sao_Paulo')).toEqual([
      t('2026-03-10T03:00:00Z'),
      t('2026-03-11T03:00:00Z'),
    ]);
    // 01:00 UTC on the 11th is still the 10th in São Paulo.
    expect(localMidnight(t('2026-03-11T01:00:00Z'), 'America/Sao_Paulo')).toBe(t('2026-03-10T03:00:00Z'));
  });

  it('follow daylight-saving changes: Berlin has a 23-hour day on 29 March 2026 and a 25-hour day on 25 October 2026', () => {
    const spring = localDayStarts(t('2026-03-28T23:00:00Z'), t('2026-03-30T21:59:59Z'), 'Europe/Berlin');
    expect(spring).toEqual([t('2026-03-28T23:00:00Z'), t('2026-03-29T22:00:00Z')]);
    expect(spring[1] - spring[0]).toBe(23 * 3_600_000);
    const autumn = localDayStarts(t('2026-10-24T22:00:00Z'), t('2026-10-26T22:59:59Z'), 'Europe/Berlin');
    expect(autumn).toEqual([t('2026-10-24T22:00:00Z'), t('2026-10-25T23:00:00Z')]);
    expect(autumn[1] - autumn[0]).toBe(25 * 3_600_000);
  });

  it('group whole days counted from 1970-01-01, whatever the range asked for', () => {
    const step = { kind: 'days' as const, days: 8, timeZone: 'UTC' };
    const starts = bucketStarts(step, t('2026-01-05T10:00:00Z'), t('2026-02-10T00:00:00Z'));
    for (const s of starts) expect((s / DAY_MS) % 8).toBe(0);
    // The first bucket holds `from`; the last starts at or before `to`.
    expect(starts[0]).toBeLessThanOrEqual(t('2026-01-05T10:00:00Z'));
    expect(starts[0] + 8 * DAY_MS).toBeGreaterThan(t('2026-01-05T10:00:00Z'));
    expect(starts[starts.length - 1]).toBeLessThanOrEqual(t('2026-02-10T00:00:00Z'));
    expect(starts[starts.length - 1] + 8 * DAY_MS).toBeGreaterThan(t('2026-02-10T00:00:00Z'));
  });
});
