import { periodRange, toLocalInput } from './period';

describe('periodRange', () => {
  // Jest runs with TZ=UTC, so local midnight is UTC midnight here.
  const now = new Date('2026-03-10T15:30:00.000Z');

  it('gives each period its span ending now', () => {
    expect(periodRange('hour', now)).toEqual({ from: new Date('2026-03-10T14:30:00.000Z'), to: now });
    expect(periodRange('today', now)).toEqual({ from: new Date('2026-03-10T00:00:00.000Z'), to: now });
    expect(periodRange('week', now)).toEqual({ from: new Date('2026-03-03T15:30:00.000Z'), to: now });
    expect(periodRange('month', now)).toEqual({ from: new Date('2026-02-08T15:30:00.000Z'), to: now });
  });

  it('uses a custom range as given', () => {
    const custom = { from: new Date('2026-01-01T00:00:00Z'), to: new Date('2026-01-02T00:00:00Z') };
    expect(periodRange('custom', now, custom)).toBe(custom);
  });

  it('formats dates for datetime-local inputs', () => {
    expect(toLocalInput(new Date('2026-03-04T05:06:00Z'))).toBe('2026-03-04T05:06');
  });
});
