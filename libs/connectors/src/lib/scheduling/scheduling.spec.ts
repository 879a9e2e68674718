import { Pzem004tDriver } from '../drivers/pzem.driver';
import type { SerialLineSettings } from '../config/device-config';
import { characterTimeMs, interFrameSilenceMs, transactionWireTimeMs } from '../transport/line-timing';
import { deviceStatusAfter, nextPollDelayMs, reconnectDelayMs } from './backoff';
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
  it('doubles the interval per consecutive failure up to 10 minutes', () => {
    expect(nextPollDelayMs(10_000, 0)).toBe(10_000);
    expect(nextPollDelayMs(10_000, 1)).toBe(20_000);
    expect(nextPollDelayMs(10_000, 3)).toBe(80_000);
    expect(nextPollDelayMs(10_000, 6)).toBe(600_000); // 640 s capped at 600 s
    expect(nextPollDelayMs(10_000, 1000)).toBe(600_000);
    expect(nextPollDelayMs(15 * 60_000, 2)).toBe(15 * 60_000); // the cap never shortens a long interval
    expect(nextPollDelayMs(1000, 2, { factor: 3, capMs: 5000 })).toBe(5000);
  });
  it('derives a status and reconnect delays', () => {
    expect(deviceStatusAfter(0)).toBe('online');
    expect(deviceStatusAfter(1)).toBe('backoff');
    expect(deviceStatusAfter(3)).toBe('offline');
    expect([1, 2, 3, 10].map((n) => reconnectDelayMs(n, 500, 30_000))).toEqual([500, 1000, 2000, 30_000]);
  });
});
