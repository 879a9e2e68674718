import { coverRange } from './range-cover';

const at = (hms: string) => Date.parse(`2026-11-30T${hms}Z`);

describe('coverRange', () => {
  it('covers a range with whole hours, then quarters and minutes, and raw rows at the partial edges', () => {
    // 10:44:30 to 13:16:45, worked by hand.
    expect(coverRange(at('10:44:30'), at('13:16:45'))).toEqual([
      { bucketMs: null, from: at('10:44:30'), until: at('10:45:00') },
      { bucketMs: 900_000, from: at('10:45:00'), until: at('11:00:00') },
      { bucketMs: 3_600_000, from: at('11:00:00'), until: at('13:00:00') },
      { bucketMs: 900_000, from: at('13:00:00'), until: at('13:15:00') },
      { bucketMs: 60_000, from: at('13:15:00'), until: at('13:16:00') },
      { bucketMs: null, from: at('13:16:00'), until: at('13:16:45') },
    ]);
  });

  it('uses raw rows alone inside one minute, and nothing for an empty range', () => {
    expect(coverRange(at('10:00:10'), at('10:00:50'))).toEqual([{ bucketMs: null, from: at('10:00:10'), until: at('10:00:50') }]);
    expect(coverRange(at('10:00:00'), at('10:00:00'))).toEqual([]);
  });

  it('reads an aligned range from one resolution only', () => {
    expect(coverRange(at('00:00:00'), at('06:00:00'))).toEqual([{ bucketMs: 3_600_000, from: at('00:00:00'), until: at('06:00:00') }]);
    expect(coverRange(at('00:07:00'), at('00:09:00'))).toEqual([{ bucketMs: 60_000, from: at('00:07:00'), until: at('00:09:00') }]);
  });
});
