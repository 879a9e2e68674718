import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { seedDevice, startTestApp, TestApp } from '../../testing/test-app';
import { PG_VALUES_PER_STATEMENT } from './postgres-measurements';

/**
 * What the insert statements store, on SQLite and (under npm run test:pg) on PostgreSQL, where a
 * batch goes in as PostgreSQL array text (postgres-measurements.ts): every double read back exactly,
 * metric names that mean something to an array literal kept as names, and a retried batch larger
 * than one statement stored once, its duplicates counted in each statement.
 */
const T0 = Date.UTC(2026, 10, 30, 0, 0, 0);

describe('values stored by POST /api/ingest', () => {
  let t: TestApp;
  let deviceId: number;
  beforeAll(async () => {
    t = await startTestApp();
    ({ deviceId } = await seedDevice(t.http, 'Values meter'));
  });
  afterAll(() => t.close());

  const stored = async (metric: string, from: number, to: number) =>
    (await t.http.get('/api/metrics').query({ deviceId, metric, from, to, limit: 10000 }).expect(200)).body.items as Array<{ ts: string; value: number }>;

  it('reads every double back exactly, the smallest and largest included', async () => {
    const values = {
      sum: 0.1 + 0.2, // 0.30000000000000004: not 0.3
      tiny: 5e-324, // the smallest subnormal
      largest: 1.7976931348623157e308,
      negative: -1.5e-300,
      digits: 123456789.12345679,
      third: 1 / 3,
      integer: 9007199254740991,
    };
    await t.http
      .post('/api/ingest')
      .send({ readings: [{ deviceId, timestamp: T0, metrics: values }] })
      .expect(200);
    for (const [metric, value] of Object.entries(values)) {
      const items = await stored(metric, T0, T0);
      expect([metric, items.map((i) => i.value)]).toEqual([metric, [value]]);
    }
  });

  it('keeps metrics named NULL, null and with dots as those names', async () => {
    const res = await t.http
      .post('/api/ingest')
      .send({ readings: [{ deviceId, timestamp: T0 + 1000, metrics: { NULL: 1, null: 2, 'phase.L1': 3 } }] })
      .expect(200);
    expect(res.body).toMatchObject({ stored: 3, duplicates: 0 });
    expect((await stored('NULL', T0, T0 + 1000)).map((i) => i.value)).toEqual([1]);
    expect((await stored('null', T0, T0 + 1000)).map((i) => i.value)).toEqual([2]);
    expect((await stored('phase.L1', T0, T0 + 1000)).map((i) => i.value)).toEqual([3]);
  });

  it('stores a retried batch larger than one statement once, counting the duplicates of each statement', async () => {
    // 600 readings x 10 metrics = 6,000 values: on PostgreSQL two statements, of 5,000 and 1,000 values.
    expect(PG_VALUES_PER_STATEMENT).toBe(5000);
    const T = T0 + 3_600_000;
    const metrics = (i: number, offset = 0) => Object.fromEntries(Array.from({ length: 10 }, (_, k) => [`v${k}`, i * 10 + k + 0.5 + offset]));
    const readings = Array.from({ length: 600 }, (_, i) => ({ deviceId, timestamp: T + i * 1000, metrics: metrics(i) }));
    // Stored before, with other values: readings 0-99 (1,000 values in the first statement's range) and
    // 590-599 (100 values in the second's), and v7 alone of reading 499 (the first statement's last reading).
    const before = [...readings.slice(0, 100), ...readings.slice(590), { deviceId, timestamp: T + 499_000, metrics: { v7: -7 } }].map((r) => ({
      ...r,
      metrics: Object.fromEntries(Object.keys(r.metrics).map((k) => [k, -1])),
    }));
    expect((await t.http.post('/api/ingest').send({ readings: before }).expect(200)).body).toMatchObject({ stored: 1101, duplicates: 0 });
    const auditBefore = readFileSync(join(t.dataDir, 'audit.log'), 'utf8').split('\n').filter(Boolean).length;

    const res = await t.http.post('/api/ingest').send({ readings }).expect(200);
    // 6,000 - 1,000 - 100 - 1 = 4,899 new values; 1,101 duplicates.
    expect(res.body).toMatchObject({ readings: 600, stored: 4899, duplicates: 1101 });
    const v7 = await stored('v7', T, T + 600_000);
    expect(v7).toHaveLength(600);
    expect(v7[0].value).toBe(-1); // kept, not overwritten
    expect(v7[100].value).toBe(1007.5);
    expect(v7[499].value).toBe(-1);
    expect(v7[598].value).toBe(-1);
    const v6 = await stored('v6', T, T + 600_000);
    expect(v6[499].value).toBe(4996.5);
    // One audit line per reading with new values: readings 100-589 (490), reading 499 without v7.
    const lines = readFileSync(join(t.dataDir, 'audit.log'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .slice(auditBefore)
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(490);
    const line499 = lines.find((l) => l.ts === new Date(T + 499_000).toISOString());
    expect(Object.keys(line499.metrics).sort()).toEqual(['v0', 'v1', 'v2', 'v3', 'v4', 'v5', 'v6', 'v8', 'v9']);
  });
});
