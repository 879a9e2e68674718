import { Database } from '../database/database.service';
import { seedDevice, startTestApp, TestApp } from '../../testing/test-app';

const MIN = 60_000;
/** Monday 2026-11-09 00:00 UTC. */
const T0 = Date.UTC(2026, 10, 9);
const iso = (ms: number) => new Date(ms).toISOString();

describe('virtual meters', () => {
  let t: TestApp;
  let clientId: number;
  let main: number, a: number, b: number, virtualId: number;
  const config = () => ({ inputs: { main, a, b }, metrics: { power: 'main.power - (a.power + b.power)', energy: 'main.energy - (a.energy + b.energy)' } });
  const create = (body: Record<string, unknown>) => t.http.post('/api/devices').send({ clientId, name: 'Unmetered', deviceType: 'virtual', ...body });

  beforeAll(async () => {
    t = await startTestApp({ RETENTION_RAW_DAYS: '36500', RETENTION_1M_DAYS: '36500' });
    ({ clientId, deviceId: main } = await seedDevice(t.http, 'Main', 'Plant'));
    a = (await t.http.post('/api/devices').send({ clientId, name: 'A', deviceType: 'api' }).expect(201)).body.id;
    b = (await t.http.post('/api/devices').send({ clientId, name: 'B', deviceType: 'api' }).expect(201)).body.id;
    // Two minutes of power: main 10 kW, a 3 kW, b 4.5 kW; then 12, 3, 4.5. Counters over an hour: 10, 3 and 4.5 kWh.
    const readings = [];
    for (const [minute, p] of [
      [0, 10_000],
      [1, 12_000],
    ] as const) {
      readings.push({ deviceId: main, timestamp: T0 + minute * MIN, metrics: { power: p } });
      readings.push({ deviceId: a, timestamp: T0 + minute * MIN, metrics: { power: 3000 } });
      readings.push({ deviceId: b, timestamp: T0 + minute * MIN, metrics: { power: 4500 } });
    }
    for (const [id, wh] of [
      [main, 10_000],
      [a, 3000],
      [b, 4500],
    ]) {
      for (let q = 0; q <= 4; q++) readings.push({ deviceId: id, timestamp: T0 + q * 15 * MIN, metrics: { energy: 100_000 + (wh * q) / 4 } });
    }
    await t.http.post('/api/ingest').send({ readings }).expect(200);
    virtualId = (await create({ config: config() }).expect(201)).body.id;
  });
  afterAll(() => t.close());

  it('gives main 10 kW − (a 3 kW + b 4.5 kW) = 2.5 kW unmetered on aligned buckets, marked virtual', async () => {
    const res = await t.http
      .get('/api/metrics/series')
      .query({ deviceId: virtualId, metrics: 'power', from: iso(T0), to: iso(T0 + 2 * MIN - 1), points: 2 })
      .expect(200);
    expect(res.body.source).toBe('virtual');
    expect(res.body.series[0].points.map((p: { t: string; avg: number }) => [p.t, p.avg])).toEqual([
      [iso(T0), 2500],
      [iso(T0 + MIN), 4500],
    ]);
    const summary = await t.http
      .get('/api/metrics/summary')
      .query({ deviceId: virtualId, metric: 'power', from: iso(T0), to: iso(T0 + 2 * MIN - 1) })
      .expect(200);
    // Two 1-minute buckets, 2,500 and 4,500 W: mean 3,500, sample σ = sqrt(2 × 1000²) = 1414.2.
    expect(summary.body).toMatchObject({ count: 2, mean: 3500, min: 2500, max: 4500, source: 'virtual' });
    expect(summary.body.std).toBeCloseTo(Math.sqrt(2) * 1000, 9);
  });

  it('gives its energy per interval from the inputs: 10 − (3 + 4.5) = 2.5 kWh over the hour', async () => {
    const res = await t.http
      .get('/api/energy')
      .query({ deviceId: virtualId, from: iso(T0), to: iso(T0 + 60 * MIN - 1), interval: 'hour' })
      .expect(200);
    expect(res.body.source).toBe('virtual');
    expect(res.body.intervals).toHaveLength(1);
    expect(res.body.intervals[0].kWh).toBeCloseTo(2.5, 9);
    expect(res.body.total.kWh).toBeCloseTo(2.5, 9);
    // Not counted again in the client's total: 10 + 3 + 4.5 (no site has a main meter) and no virtual 2.5.
    const client = await t.http
      .get('/api/energy')
      .query({ clientId, from: iso(T0), to: iso(T0 + 60 * MIN - 1), interval: 'hour' })
      .expect(200);
    expect(client.body.total.kWh).toBeCloseTo(17.5, 9);
  });

  it('stores nothing: readings for it are refused and it has no raw values', async () => {
    const res = await t.http
      .post('/api/ingest')
      .send({ readings: [{ deviceId: virtualId, timestamp: T0, metrics: { power: 1 } }] })
      .expect(400);
    expect(res.body.message).toMatch(/readings\[0\]\.deviceId .* is a virtual meter/);
    expect((await t.http.get('/api/metrics').query({ deviceId: virtualId }).expect(422)).body.message).toMatch(/virtual meter/);
  });

  it('refuses an expression that does not parse, an unknown input, a virtual input, and bad shapes, naming the field', async () => {
    const bad = async (body: Record<string, unknown>, message: RegExp) => expect((await create(body).expect(400)).body.message).toMatch(message);
    await bad({ config: { inputs: { main }, metrics: { power: 'main.power - (' } } }, /config\.metrics\.power does not parse.*at character 15/);
    await bad({ config: { inputs: { main }, metrics: { power: 'main.power - c.power' } } }, /config\.metrics\.power names the unknown input c/);
    await bad({ config: { inputs: { main }, metrics: { power: 'evaluate("1")' } } }, /config\.metrics\.power calls evaluate/);
    await bad({ config: { inputs: { v: virtualId }, metrics: { power: 'v.power' } } }, /config\.inputs\.v: device .* is itself virtual/);
    await bad({ config: { inputs: {}, metrics: { power: '1' } } }, /config\.inputs must name at least one input/);
    await bad({ config: { inputs: { min: main }, metrics: { power: '1' } } }, /config\.inputs\.min must be named/);
    await bad({ config: { inputs: { main }, metrics: { power: `main.power${' + 1'.repeat(130)}` } } }, /config\.metrics\.power must be at most 500 characters/);
    const other = await seedDevice(t.http, 'Elsewhere', 'Other plant');
    await bad(
      { config: { inputs: { main, x: other.deviceId }, metrics: { power: 'main.power - x.power' } } },
      /config\.inputs\.x: device .* belongs to another client/,
    );
  });

  it("answers 404 to another client's user, for the meter and for inputs it does not own", async () => {
    const other = await seedDevice(t.http, 'Theirs', 'Hostile plant');
    const outsider = await t.userAgent('admin', other.clientId);
    await outsider
      .get('/api/metrics/series')
      .query({ deviceId: virtualId, metrics: 'power', from: iso(T0), to: iso(T0 + MIN) })
      .expect(404);
    await outsider
      .get('/api/energy')
      .query({ deviceId: virtualId, from: iso(T0), to: iso(T0 + MIN) })
      .expect(404);
    await outsider
      .post('/api/devices')
      .send({ clientId: other.clientId, name: 'Spy', deviceType: 'virtual', config: { inputs: { x: main }, metrics: { power: 'x.power' } } })
      .expect(404);
  });
  it('keeps its inputs in its client: moving or deleting an input is refused while the meter reads it, and an input found elsewhere is not read', async () => {
    const other = await seedDevice(t.http, 'Receiver', 'Receiving plant');
    const moved = await t.http.patch(`/api/devices/${a}`).send({ clientId: other.clientId }).expect(409);
    expect(moved.body.message).toMatch(new RegExp(`Device ${a} is read by virtual meter ${virtualId} \\(Unmetered\\)`));
    await t.http.delete(`/api/devices/${a}`).query({ purge: true }).expect(409);
    // The meter itself moves only with inputs of its new client.
    expect((await t.http.patch(`/api/devices/${virtualId}`).send({ clientId: other.clientId }).expect(409)).body.message).toMatch(
      /give its new client's inputs/,
    );
    // An input that left the client some other way (a database restored from elsewhere) is not read, for staff either.
    const db = t.app.get(Database);
    await db.transaction((m) => db.execute('UPDATE devices SET client_id = ? WHERE id = ?', [other.clientId, b], m));
    try {
      const q = { deviceId: virtualId, from: iso(T0), to: iso(T0 + 2 * MIN - 1) };
      for (const [path, extra] of [
        ['/api/metrics/series', { metrics: 'power' }],
        ['/api/metrics/summary', { metric: 'power' }],
        ['/api/energy', {}],
      ] as const) {
        const res = await t.http
          .get(path)
          .query({ ...q, ...extra })
          .expect(422);
        expect(res.body.message).toMatch(new RegExp(`its input "b" \\(device ${b}\\) now belongs to another client`));
      }
      // Their user does not see it through the meter either: the meter is not theirs (404).
      const theirs = await t.userAgent('viewer', other.clientId);
      await theirs
        .get('/api/metrics/series')
        .query({ ...q, metrics: 'power' })
        .expect(404);
    } finally {
      await db.transaction((m) => db.execute('UPDATE devices SET client_id = ? WHERE id = ?', [clientId, b], m));
    }
    await t.http
      .get('/api/metrics/series')
      .query({ deviceId: virtualId, metrics: 'power', from: iso(T0), to: iso(T0 + 2 * MIN - 1) })
      .expect(200);
  });
});
