import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { seedDevice, startTestApp, TestApp } from '../../testing/test-app';

const T0 = Date.UTC(2026, 10, 26, 12, 0, 0);
const iso = (ms: number) => new Date(ms).toISOString();

describe('POST /api/ingest', () => {
  let t: TestApp;
  let deviceId: number;

  beforeAll(async () => {
    t = await startTestApp();
    ({ deviceId } = await seedDevice(t.http));
  });
  afterAll(() => t.close());

  const count = async (metric?: string) => {
    const res = await t.http
      .get('/api/metrics')
      .query({ deviceId, limit: 10000, ...(metric && { metric }) })
      .expect(200);
    return res.body.items.length as number;
  };

  it('stores a batch and answers with the counts', async () => {
    const res = await t.http
      .post('/api/ingest')
      .send({
        readings: [
          { deviceId, timestamp: iso(T0), metrics: { voltage: 229.8, current: 1.52 } },
          { deviceId, timestamp: T0 + 1000, metrics: { voltage: 230.1 } },
        ],
      })
      .expect(200);
    expect(res.body).toEqual({ readings: 2, stored: 3, duplicates: 0, alarmEvents: 0, alarmsCleared: 0 });
    const page = await t.http.get('/api/metrics').query({ deviceId, metric: 'voltage' }).expect(200);
    expect(page.body.items).toEqual([
      { deviceId, metric: 'voltage', ts: iso(T0), value: 229.8, source: 'api' },
      { deviceId, metric: 'voltage', ts: iso(T0 + 1000), value: 230.1, source: 'api' },
    ]);
  });

  it('stores a retried batch once and says how many were duplicates', async () => {
    const batch = { readings: [{ deviceId, timestamp: iso(T0 + 5000), metrics: { voltage: 231, power: 100 } }] };
    const first = await t.http.post('/api/ingest').send(batch).expect(200);
    expect(first.body).toMatchObject({ stored: 2, duplicates: 0 });
    const again = await t.http.post('/api/ingest').send(batch).expect(200);
    expect(again.body).toMatchObject({ stored: 0, duplicates: 2 });
    // Same value twice inside one batch: one row.
    const inside = await t.http
      .post('/api/ingest')
      .send({ readings: [batch.readings[0], batch.readings[0]] })
      .expect(200);
    expect(inside.body).toMatchObject({ readings: 2, stored: 0, duplicates: 4 });
    const res = await t.http.get('/api/metrics').query({ deviceId, metric: 'power' }).expect(200);
    expect(res.body.items).toHaveLength(1);
  });

  it('keeps stored values and adds only the new ones when a large retried batch overlaps them', async () => {
    // 130 readings x 10 metrics = 1,300 values: three INSERT statements of at most 500 values.
    const metrics = (i: number) => Object.fromEntries(Array.from({ length: 10 }, (_, k) => [`m${k}`, i * 10 + k + 0.25]));
    const T = T0 + 3_600_000;
    const readings = Array.from({ length: 130 }, (_, i) => ({ deviceId, timestamp: T + i * 1000, metrics: metrics(i) }));
    // Already stored: reading 75 (in the second statement) with other values, and the last reading (third statement).
    const earlier = [{ deviceId, timestamp: T + 75_000, metrics: { m3: -1 } }, readings[129]];
    await t.http.post('/api/ingest').send({ readings: earlier }).expect(200);
    const auditBefore = readFileSync(join(t.dataDir, 'audit.log'), 'utf8').split('\n').filter(Boolean).length;

    const res = await t.http.post('/api/ingest').send({ readings }).expect(200);
    expect(res.body).toMatchObject({ readings: 130, stored: 1300 - 11, duplicates: 11 });
    const m3 = await t.http
      .get('/api/metrics')
      .query({ deviceId, metric: 'm3', from: T, to: T + 200_000, limit: 1000 })
      .expect(200);
    expect(m3.body.items).toHaveLength(130);
    expect(m3.body.items[75].value).toBe(-1); // the stored value is kept, not overwritten
    expect(m3.body.items[74].value).toBe(743.25);
    // The audit trail gets one line per reading with new values: 129 (reading 129 had nothing new), reading 75 without m3.
    const lines = readFileSync(join(t.dataDir, 'audit.log'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .slice(auditBefore)
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(129);
    const line75 = lines.find((l) => l.ts === iso(T + 75_000));
    expect(Object.keys(line75.metrics)).toHaveLength(9);
    expect(line75.metrics.m3).toBeUndefined();
  });

  it('answers 400 for malformed JSON', async () => {
    const res = await t.http.post('/api/ingest').set('content-type', 'application/json').send('{"readings": [').expect(400);
    expect(res.body.message).toMatch(/Malformed JSON/);
  });

  it.each([
    ['NaN as a string', 'NaN'],
    ['Infinity as a string', 'Infinity'],
    ['a string', '230'],
    ['null', null],
    ['a boolean', true],
  ])('answers 400 naming the field for %s as a metric value', async (_label, value) => {
    const res = await t.http
      .post('/api/ingest')
      .send({ readings: [{ deviceId, timestamp: iso(T0 + 9000), metrics: { voltage: value } }] })
      .expect(400);
    expect(res.body.errors).toEqual([{ field: 'readings[0].metrics.voltage', message: 'must be a finite number' }]);
  });

  it('answers 400 naming an unknown field', async () => {
    const top = await t.http
      .post('/api/ingest')
      .send({ readings: [{ deviceId, metrics: { voltage: 1 } }], foo: 1 })
      .expect(400);
    expect(top.body.errors).toEqual([{ field: 'foo', message: 'is not a known field' }]);
    const inner = await t.http
      .post('/api/ingest')
      .send({ readings: [{ deviceId, metrics: { voltage: 1 }, colour: 'red' }] })
      .expect(400);
    expect(inner.body.errors[0].field).toBe('readings[0].colour');
  });

  it('answers 400 for an unparseable timestamp or one more than 5 minutes ahead', async () => {
    const bad = await t.http
      .post('/api/ingest')
      .send({ readings: [{ deviceId, timestamp: 'yesterday', metrics: { voltage: 1 } }] })
      .expect(400);
    expect(bad.body.errors[0].field).toBe('readings[0].timestamp');
    const future = await t.http
      .post('/api/ingest')
      .send({ readings: [{ deviceId, timestamp: iso(Date.now() + 6 * 60_000), metrics: { voltage: 1 } }] })
      .expect(400);
    expect(future.body.errors[0].message).toMatch(/5 minutes in the future/);
    // Four minutes ahead (clock drift) is accepted.
    await t.http
      .post('/api/ingest')
      .send({ readings: [{ deviceId, timestamp: iso(Date.now() + 4 * 60_000), metrics: { drift: 1 } }] })
      .expect(200);
  });

  it('refuses impossible calendar dates (2026-02-30 is not 2 March) and ids no device can have, naming the reading', async () => {
    const before = await count();
    const readings = ['2026-02-30T12:00:00Z', '2026-13-01T00:00:00Z', '2026-11-26T24:00:00Z', '2026-11-26T12:00:00'].map((timestamp) => ({
      deviceId,
      timestamp,
      metrics: { voltage: 1 },
    }));
    const res = await t.http.post('/api/ingest').send({ readings }).expect(400);
    expect(res.body.errors.map((e: { field: string }) => e.field)).toEqual([
      'readings[0].timestamp',
      'readings[1].timestamp',
      'readings[2].timestamp',
      'readings[3].timestamp',
    ]);
    expect(res.body.errors[0].message).toMatch(/no day 30/);
    // 2^31 is past the largest id PostgreSQL's integer column holds: a 400, never the database's error.
    const huge = await t.http
      .post('/api/ingest')
      .send({ readings: [{ deviceId: 2 ** 31, metrics: { voltage: 1 } }] })
      .expect(400);
    expect(huge.body.errors[0].field).toBe('readings[0].deviceId');
    expect(await count()).toBe(before);
  });

  it('stores nothing when one reading of the batch is bad', async () => {
    const before = await count();
    const res = await t.http
      .post('/api/ingest')
      .send({
        readings: [
          { deviceId, timestamp: iso(T0 + 20_000), metrics: { voltage: 228 } },
          { deviceId, timestamp: iso(T0 + 21_000), metrics: { voltage: 'high' } },
        ],
      })
      .expect(400);
    expect(res.body.errors[0].field).toBe('readings[1].metrics.voltage');
    expect(await count()).toBe(before);
  });

  it('answers 404 for an unknown device and stores nothing', async () => {
    const before = await count();
    const res = await t.http
      .post('/api/ingest')
      .send({
        readings: [
          { deviceId, timestamp: iso(T0 + 30_000), metrics: { voltage: 228 } },
          { deviceId: 99999, timestamp: iso(T0 + 30_000), metrics: { voltage: 228 } },
        ],
      })
      .expect(404);
    expect(res.body.message).toMatch(/99999/);
    expect(await count()).toBe(before);
  });

  it('answers 413 for a body over 5 MB', async () => {
    const reading = { deviceId, timestamp: iso(T0), metrics: { voltage: 230 } };
    const big = { readings: Array.from({ length: 90_000 }, () => reading) };
    expect(JSON.stringify(big).length).toBeGreaterThan(5 * 1024 * 1024);
    const res = await t.http.post('/api/ingest').send(big).expect(413);
    expect(res.body.message).toMatch(/larger than 5MB/);
  });

  it('answers 400 for an empty batch or a missing metrics object', async () => {
    await t.http.post('/api/ingest').send({ readings: [] }).expect(400);
    const res = await t.http
      .post('/api/ingest')
      .send({ readings: [{ deviceId }] })
      .expect(400);
    expect(res.body.errors[0].field).toBe('readings[0].metrics');
  });

  it('sets the device lastSeenAt to its newest reading', async () => {
    const res = await t.http.get(`/api/devices/${deviceId}`).expect(200);
    expect(Date.parse(res.body.lastSeenAt)).toBeGreaterThan(T0);
  });
});

describe('GET /api/live', () => {
  it('pushes each stored reading of the device as a server-sent event', async () => {
    const t = await startTestApp();
    try {
      const { deviceId } = await seedDevice(t.http);
      const controller = new AbortController();
      const res = await fetch(`${t.url}/api/live?deviceId=${deviceId}`, { signal: controller.signal, headers: { authorization: `Bearer ${t.adminToken}` } });
      expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
      const reader = (res.body as ReadableStream<Uint8Array>).getReader();
      await t.http
        .post('/api/ingest')
        .send({ readings: [{ deviceId, timestamp: '2026-11-26T12:00:00Z', metrics: { voltage: 231.5 } }] })
        .expect(200);
      let text = '';
      while (!text.includes('\n\n')) text += new TextDecoder().decode((await reader.read()).value);
      controller.abort();
      expect(text).toContain('event: reading');
      const data = JSON.parse(/data: (.*)/.exec(text)?.[1] ?? '{}');
      expect(data).toEqual({ deviceId, ts: '2026-11-26T12:00:00.000Z', source: 'api', metrics: { voltage: 231.5 } });
    } finally {
      await t.close();
    }
  });
});
