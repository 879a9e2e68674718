import { Pzem004tDriver } from '../drivers/pzem.driver';
import type { SerialLineSettings } from '../config/device-config';
import { characterTimeMs, interFrameSilenceMs, transactionWireTimeMs } from '../transport/line-timing';
import { nextPollDelayMs, pollBackoffCapMs, doublingDelayMs } from './backoff';
import { firstPollAt, gridSlot, nextSlotAfterRead, slotAtOrAfter } from './poll-grid';
import { planLineSchedule } from './line-schedule';

const line = (baudRate: SerialLineSettings['baudRate'], extra: Partial<SerialLineSettings> = {}): SerialLineSettings => ({
  baudRate,
  parity: 'none',
  dataBits: 8,
  stopBits: 1,
  ...extra,
});

describe('line timing (PROTOCOLS.md table)', () => {
  it('computes character time and t3.5', () => {
    expect(characterTimeMs(line(9600))).toBeCloseTo(1.042, 3); // 10 bits / 9600
    expect(characterTimeMs(line(9600, { stopBits: 2 }))).toBeCloseTo(1.146, 3); // 11 bits / 9600
    expect(characterTimeMs(line(9600, { parity: 'even' }))).toBeCloseTo(1.146, 3);
    expect(interFrameSilenceMs(line(9600))).toBeCloseTo(3.65, 2); // 3.5 x 1.042
    expect(interFrameSilenceMs(line(19200))).toBeCloseTo(1.82, 2); // 3.5 x 0.521
    expect(interFrameSilenceMs(line(38400))).toBe(1.75); // fixed above 19200
    expect(interFrameSilenceMs(line(115200))).toBe(1.75);
  });

  it('gives one PZEM read (8-byte request, 25-byte reply) as in the table', () => {
    expect(transactionWireTimeMs(line(9600), 8, 25)).toBeCloseTo(41.7, 1); // 8.33 + 26.04 + 2 x 3.65
    expect(transactionWireTimeMs(line(19200), 8, 25)).toBeCloseTo(20.8, 1); // 4.17 + 13.02 + 2 x 1.82
    expect(transactionWireTimeMs(line(115200), 8, 25)).toBeCloseTo(6.4, 1); // 0.69 + 2.17 + 2 x 1.75
  });
});

describe('planLineSchedule', () => {
  const pzem = new Pzem004tDriver().requests;

  it('accepts intervals the line can carry', () => {
    const devices = Array.from({ length: 10 }, (_, i) => ({ id: `m${i}`, pollIntervalMs: 5000, requests: pzem }));
    const report = planLineSchedule(line(9600), devices, '/dev/ttyUSB0');
    expect(report.cycleWireMs).toBeCloseTo(417, 0); // 10 x 41.7 ms
    expect(report.utilisation).toBeCloseTo(0.0834, 3); // 417 / 5000
    expect(report.fits).toBe(true);
    expect(report.message).toBeUndefined();
  });

  it('explains when the configured intervals cannot fit', () => {
    // One PZEM read at 9600: 33 chars x 1.0417 ms + 2 x 3.6458 ms = 41.667 ms; 30 of them = 1250 ms per round.
    const devices = Array.from({ length: 30 }, (_, i) => ({ id: `m${i}`, pollIntervalMs: 1000, requests: pzem }));
    const report = planLineSchedule(line(9600), devices, '/dev/ttyUSB0');
    expect(report.fits).toBe(false);
    expect(report.cycleWireMs).toBeCloseTo(1250, 0);
    expect(report.tooFast).toHaveLength(30);
    expect(report.message).toBe(
      '30 meters on /dev/ttyUSB0 need at least 1.25 s of wire time per round at 9600 baud; the configured poll intervals ask for 125% of the line. ' +
        'Lengthen the poll intervals (shortest possible: 1.25 s) or split the meters over more lines.',
    );
  });
});

describe('backoff', () => {
  it('doubles the interval per consecutive failure up to max(60 s, 3 intervals), not 10 minutes', () => {
    // 1 s interval: 2, 4, 8, 16, 32 s, then the 60 s floor of the cap (64 s would pass it).
    expect([0, 1, 2, 3, 4, 5, 6, 1000].map((n) => nextPollDelayMs(1000, n))).toEqual([1000, 2000, 4000, 8000, 16_000, 32_000, 60_000, 60_000]);
    // 10 s: 20, 40, then 60 s (3 x 10 s = 30 s is below the 60 s floor); it was 80, 160 ... 600 s.
    expect([1, 2, 3, 6].map((n) => nextPollDelayMs(10_000, n))).toEqual([20_000, 40_000, 60_000, 60_000]);
    // 30 s: 60, then 90 s = 3 intervals.
    expect([1, 2, 3].map((n) => nextPollDelayMs(30_000, n))).toEqual([60_000, 90_000, 90_000]);
    // 15 min: 30 min, then 45 min = 3 intervals.
    expect([1, 2, 9].map((n) => nextPollDelayMs(15 * 60_000, n))).toEqual([30 * 60_000, 45 * 60_000, 45 * 60_000]);
    expect([1000, 20_000, 21_000, 300_000].map(pollBackoffCapMs)).toEqual([60_000, 60_000, 63_000, 900_000]);
    expect(nextPollDelayMs(1000, 2, { factor: 3, capMs: 5000 })).toBe(5000);
    expect(nextPollDelayMs(10_000, 2, { capMs: 5000 })).toBe(10_000); // a cap never shortens the interval itself
  });
  it('doubles reconnect delays up to the cap', () => {
    expect([1, 2, 3, 10].map((n) => doublingDelayMs(n, 500, 30_000))).toEqual([500, 1000, 2000, 30_000]);
  });
});

describe('poll grid', () => {
  // 2026-11-26T10:00:00.000Z: a multiple of 1 s, 5 s and 60 s.
  const T = Date.UTC(2026, 10, 26, 10, 0, 0);

  it('puts the slots of a device on multiples of its interval since the epoch', () => {
    expect(T % 60_000).toBe(0);
    expect(gridSlot(T + 7_300, 5000)).toBe(T + 5000);
    expect(slotAtOrAfter(T + 7_300, 5000)).toBe(T + 10_000);
    expect(slotAtOrAfter(T + 10_000, 5000)).toBe(T + 10_000);
    expect(gridSlot(T + 999, 1000)).toBe(T);
  });

  it('reads the next slot after a read, however long the read took, and skips the slots an overrun read missed', () => {
    // 5 s device, read of slot :00 started 12 ms late and took 80 ms: next :05.
    expect(nextSlotAfterRead(T + 12, 5000, T + 92)).toBe(T + 5000);
    // A read that started 2.4 s late (still within half an interval): next :05, not :07.4.
    expect(nextSlotAfterRead(T + 2400, 5000, T + 2450)).toBe(T + 5000);
    // A read that took 6 s ends at :06, 1 s after the :05 slot: :05 is read late, at once.
    expect(nextSlotAfterRead(T, 5000, T + 6000)).toBe(T + 5000);
    // A read that took 8 s ends 3 s past :05 (over half an interval): :05 is skipped, next :10.
    expect(nextSlotAfterRead(T, 5000, T + 8000)).toBe(T + 10_000);
    // 1 s device, read taking 1.7 s: slot +1 s is 0.7 s past, skipped; next +2 s.
    expect(nextSlotAfterRead(T, 1000, T + 1700)).toBe(T + 2000);
  });

  it('starts a device at once when its current slot has no reading, else at the first slot after its last reading', () => {
    // Never read: at once.
    expect(firstPollAt(null, 5000, T + 3200)).toBe(T + 3200);
    // Last reading in an earlier slot, long ago: at once.
    expect(firstPollAt(T - 3_600_000, 5000, T + 3200)).toBe(T + 3200);
    // Read at :00.05 by an instance that died; taken over at :02: :00 was read, so :05.
    expect(firstPollAt(T + 50, 5000, T + 2000)).toBe(T + 5000);
    // Read at :00.05, taken over at :06: slot :05 has no reading and :00.05 is over half an interval ago: at once.
    expect(firstPollAt(T + 50, 5000, T + 6000)).toBe(T + 6000);
    // Read at :04.9 (late in its slot), taken over at :05.1: :05 would be 0.2 s after it, so :10.
    expect(firstPollAt(T + 4900, 5000, T + 5100)).toBe(T + 10_000);
  });
});
