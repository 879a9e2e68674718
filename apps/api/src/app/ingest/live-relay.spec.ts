import { loadConfig } from '../config/app-config';
import { decodeLivePayload, encodeLivePayloads, MAX_PAYLOAD_BYTES } from './live-relay';
import type { LiveReading } from './live-readings';

/**
 * The NOTIFY payloads that carry live readings between instances (LISTEN/NOTIFY on PostgreSQL; the
 * instances themselves are tested in polling/multi-instance.system.spec.ts): names once per payload,
 * never over the size limit, and read back into the same readings.
 */
describe('live relay payloads', () => {
  const a: LiveReading = { deviceId: 3, clientId: 7, ts: 1000, source: 'api', metrics: { voltage: 230.5, current: 1.25 } };
  const b: LiveReading = { deviceId: 4, clientId: 7, ts: 2000, source: 'modbus-tcp', metrics: { voltage: 229 } };

  it('writes each source and list of metric names once, and each reading as a row of numbers', () => {
    const payloads = encodeLivePayloads('o1', [a, b, { ...a, ts: 1001 }]);
    expect(payloads).toEqual([
      '["o1",["api","modbus-tcp"],[["voltage","current"],["voltage"]],[3,7,1000,0,0,230.5,1.25],[4,7,2000,1,1,229],[3,7,1001,0,0,230.5,1.25]]',
    ]);
    expect(decodeLivePayload(payloads[0])).toEqual({ origin: 'o1', readings: [a, b, { ...a, ts: 1001 }] });
  });

  it('starts a new payload, with its own names, when the next reading would pass the limit', () => {
    const whole = '["o1",["api","modbus-tcp"],[["voltage","current"],["voltage"]],[3,7,1000,0,0,230.5,1.25],[4,7,2000,1,1,229]]';
    expect(encodeLivePayloads('o1', [a, b], whole.length)).toEqual([whole]);
    expect(encodeLivePayloads('o1', [a, b], whole.length - 1)).toEqual([
      '["o1",["api"],[["voltage","current"]],[3,7,1000,0,0,230.5,1.25]]',
      '["o1",["modbus-tcp"],[["voltage"]],[4,7,2000,0,0,229]]',
    ]);
  });

  it('keeps every payload of a large batch under the limit and reads all of it back in order', () => {
    const readings: LiveReading[] = [];
    for (let i = 0; i < 2000; i++) {
      const metrics: Record<string, number> = {};
      for (let k = 0; k < 10; k++) metrics[`metric_${k}`] = 230 + i / 7 + k * 1e-9;
      readings.push({ deviceId: 1 + (i % 3), clientId: 1 + (i % 2), ts: 1_767_225_600_000 + i * 1000, source: i % 5 ? 'api' : 'forward', metrics });
    }
    const payloads = encodeLivePayloads('8c5e0d7e-7a3f-4b54-9d7c-2f8f3b1e9a10', readings);
    // The rows alone (each reading with source and names as indexes, and a comma) need at least this many payloads;
    // filled one after the other, the payloads need hardly more.
    const rowBytes = readings.reduce((n, r) => n + JSON.stringify([r.deviceId, r.clientId, r.ts, 0, 0, ...Object.values(r.metrics)]).length + 1, 0);
    const atLeast = Math.ceil(rowBytes / MAX_PAYLOAD_BYTES);
    expect(payloads.length).toBeGreaterThanOrEqual(atLeast);
    expect(payloads.length).toBeLessThanOrEqual(Math.ceil(atLeast * 1.05));
    for (const p of payloads) expect(Buffer.byteLength(p)).toBeLessThanOrEqual(MAX_PAYLOAD_BYTES);
    expect(payloads.flatMap((p) => decodeLivePayload(p)?.readings ?? [])).toEqual(readings);
  });

  it('splits a reading too big for one payload into parts that together hold all of its metrics', () => {
    const metrics: Record<string, number> = {};
    for (let k = 0; k < 200; k++) metrics[`a_rather_long_metric_name_of_the_meter_number_${String(k).padStart(3, '0')}`] = k + 0.5;
    const big: LiveReading = { deviceId: 9, clientId: 2, ts: 5000, source: 'mqtt', metrics };
    const payloads = encodeLivePayloads('o1', [big]);
    expect(payloads.length).toBeGreaterThan(1);
    const parts = payloads.flatMap((p) => decodeLivePayload(p)?.readings ?? []);
    for (const part of parts) expect({ ...part, metrics: {} }).toEqual({ ...big, metrics: {} });
    expect(Object.assign({}, ...parts.map((p) => p.metrics))).toEqual(metrics);
    for (const p of payloads) expect(p.length).toBeLessThanOrEqual(MAX_PAYLOAD_BYTES);
  });

  it('reads anything else as nothing', () => {
    for (const bad of [
      '',
      'not json',
      '{}',
      '["o1"]',
      '["o1",["api"],[["v"]],[1,2,3,0,0]]',
      '["o1",["api"],[["v"]],[1,2,3,0,5,1]]',
      '["o1",["api"],[["v"]],[1,2,3,0,0,1,2]]',
    ]) {
      expect(decodeLivePayload(bad)).toBeUndefined();
    }
  });

  it('LIVE_ACROSS_INSTANCES is on unless set to false; another value names the variable', () => {
    expect(loadConfig({}).liveAcrossInstances).toBe(true);
    expect(loadConfig({ LIVE_ACROSS_INSTANCES: 'false' }).liveAcrossInstances).toBe(false);
    expect(() => loadConfig({ LIVE_ACROSS_INSTANCES: 'sometimes' })).toThrow(/LIVE_ACROSS_INSTANCES/);
  });
});
