import { parseIsoDateTime } from './timestamps';

const strict = { allowDateOnly: false };
const ms = (text: string, options = strict) => {
  const r = parseIsoDateTime(text, options);
  return 'ms' in r ? r.ms : r.error;
};

describe('parseIsoDateTime', () => {
  it('reads real date-times in UTC and with offsets', () => {
    expect(ms('2026-11-26T12:00:00Z')).toBe(Date.UTC(2026, 10, 26, 12));
    expect(ms('2026-11-26T12:00Z')).toBe(Date.UTC(2026, 10, 26, 12));
    expect(ms('2026-11-26T12:00:00.5Z')).toBe(Date.UTC(2026, 10, 26, 12, 0, 0, 500));
    expect(ms('2026-11-26T12:00:00.123456789Z')).toBe(Date.UTC(2026, 10, 26, 12, 0, 0, 123));
    expect(ms('2026-11-26T12:00:00+01:00')).toBe(Date.UTC(2026, 10, 26, 11));
    expect(ms('2026-11-26T12:00:00-0330')).toBe(Date.UTC(2026, 10, 26, 15, 30));
    expect(ms('2028-02-29T00:00:00Z')).toBe(Date.UTC(2028, 1, 29));
    expect(ms('2000-02-29T23:59:59Z')).toBe(Date.UTC(2000, 1, 29, 23, 59, 59));
  });

  it('refuses impossible calendar values instead of rolling them over', () => {
    expect(ms('2026-02-30T12:00:00Z')).toMatch(/2026-02 has no day 30/);
    expect(ms('2026-02-29T12:00:00Z')).toMatch(/no day 29/);
    expect(ms('1900-02-29T12:00:00Z')).toMatch(/no day 29/);
    expect(ms('2026-04-31T12:00:00Z')).toMatch(/no day 31/);
    expect(ms('2026-13-01T00:00:00Z')).toMatch(/month 13/);
    expect(ms('2026-00-10T00:00:00Z')).toMatch(/month 00/);
    expect(ms('2026-11-00T00:00:00Z')).toMatch(/no day 00/);
    expect(ms('2026-11-26T24:00:00Z')).toMatch(/time of day/);
    expect(ms('2026-11-26T12:60:00Z')).toMatch(/time of day/);
    expect(ms('2026-11-26T12:00:60Z')).toMatch(/time of day/);
    expect(ms('2026-11-26T12:00:00+24:00')).toMatch(/offset/);
  });

  it('needs a zone with a time, and a time unless a date alone is allowed', () => {
    expect(ms('2026-11-26T12:00:00')).toMatch(/time zone/);
    expect(ms('2026-11-26')).toMatch(/ISO-8601/);
    expect(ms('2026-11-26', { allowDateOnly: true })).toBe(Date.UTC(2026, 10, 26));
    expect(ms('2026-13-01', { allowDateOnly: true })).toMatch(/month 13/);
    for (const text of ['soon', '26/11/2026', 'Thu, 26 Nov 2026 12:00:00 GMT', '2026-11-26 12:00:00Z', '+275760-09-13T00:00:00Z', ''])
      expect(ms(text)).toMatch(/ISO-8601/);
  });

  it('reads the years 0-99 as written, not as 1900-1999', () => {
    expect(new Date(ms('0050-06-01', { allowDateOnly: true }) as number).getUTCFullYear()).toBe(50);
  });
});
