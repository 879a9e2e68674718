import { seedDevice, startTestApp, TestApp } from '../../testing/test-app';
import { Database } from '../database/database.service';
import { RollupRebuild } from '../rollups/rollup-rebuild';
import { RollupStore } from '../rollups/rollup-store';

const MIN = 60_000;
/** Monday 2026-11-02, 00:00 UTC. */
const T0 = Date.UTC(2026, 10, 2);
const at = (minutes: number) => T0 + minutes * MIN;
const iso = (ms: number) => new Date(ms).toISOString();
const reading = (deviceId: number, minutes: number, metrics: Record<string, number>) => ({ deviceId, timestamp: at(minutes), metrics });

describe('energy API', () => {
  let t: TestApp;
  let clientId: number;
  let deviceId: number;

  const ingest = (readings: unknown[]) => t.http.post('/api/ingest').send({ readings }).expect(200);
  const energy = (query: Record<string, unknown>) => t.http.get('/api/energy').query(query);

  beforeAll(async () => {
    // Fixed past dates: the readings must outlive retention.
    t = await startTestApp({ RETENTION_RAW_DAYS: '36500', RETENTION_1M_DAYS: '36500' });
    ({ clientId, deviceId } = await seedDevice(t.http));
    // The worked example of issue 13, in two batches with a read between (the second continues the stored chain).
    await ingest([reading(deviceId, 0, { energy: 1000 }), reading(deviceId, 15, { energy: 1250 })]);
    await energy({ deviceId, from: iso(at(0)), to: iso(at(59)) }).expect(200);
    await ingest([reading(deviceId, 30, { energy: 1500 }), reading(deviceId, 45, { energy: 100 }), reading(deviceId, 60, { energy: 350 })]);
  });
  afterAll(() => t.close());

  it('holds the worked example: 0.85 kWh over 00:00-01:00 with a reset, in 15-minute intervals and in one hour', async () => {
    const quarters = await energy({ deviceId, from: iso(at(0)), to: iso(at(60) - 1), interval: '15m' }).expect(200);
    // 1,000 → 1,250 → 1,500: 250 Wh each; → 100 is a reset (counts 100); → 350: 250.
    expect(quarters.body).toMatchObject({ unit: 'kWh', timezone: 'UTC', interval: '15m', quality: { resets: 1, rollovers: 0, spikes: 0, interpolatedKWh: 0 } });
    expect(quarters.body.intervals).toEqual([
      { start: iso(at(0)), end: iso(at(15)), kWh: 0.25 },
      { start: iso(at(15)), end: iso(at(30)), kWh: 0.25 },
      // The reset is flagged in the quarter where it happened.
      { start: iso(at(30)), end: iso(at(45)), kWh: 0.1, quality: { resets: 1, rollovers: 0, spikes: 0, interpolatedKWh: 0 } },
      { start: iso(at(45)), end: iso(at(60)), kWh: 0.25 },
    ]);
    expect(quarters.body.total.kWh).toBeCloseTo(0.85, 12); // 0.25 + 0.25 + 0.1 + 0.25
    const hour = await energy({ deviceId, from: iso(at(0)), to: iso(at(60) - 1), interval: 'hour' }).expect(200);
    expect(hour.body.intervals).toHaveLength(1);
    expect(hour.body.intervals[0].kWh).toBeCloseTo(0.85, 12);
    // Eleven days in quarters: 11 × 96 = 1,056 intervals (more than are read one range each: grouped by quarter instead).
    const many = await energy({ deviceId, from: iso(at(0)), to: iso(at(11 * 1440) - 1), interval: '15m' }).expect(200);
    expect(many.body.intervals).toHaveLength(1056);
    expect(many.body.intervals.slice(0, 5).map((i: { kWh: number | null }) => i.kWh)).toEqual([0.25, 0.25, 0.1, 0.25, null]);
    expect(many.body.total.kWh).toBeCloseTo(0.85, 12);
  });

  it('gives the 15-minute demands 1.0, 1.0, 0.4 and 1.0 kW and the peak', async () => {
    const res = await t.http
      .get('/api/energy/demand')
      .query({ deviceId, from: iso(at(0)), to: iso(at(60) - 1) })
      .expect(200);
    // D = Wh × 4 / 1000: 250 → 1.0 kW, 100 → 0.4 kW.
    expect(res.body.intervalMinutes).toBe(15);
    expect(res.body.points).toEqual([
      { start: iso(at(0)), kW: 1 },
      { start: iso(at(15)), kW: 1 },
      { start: iso(at(30)), kW: 0.4 },
      { start: iso(at(45)), kW: 1 },
    ]);
    expect(res.body.peak).toEqual({ kW: 1, at: iso(at(0)) });
  });

  it('changes an earlier quarter when a late reading arrives out of order', async () => {
    const { deviceId: late } = await seedDevice(t.http, 'Late meter', 'Client late');
    await ingest([reading(late, 0, { energy: 1000 }), reading(late, 60, { energy: 1300 })]);
    const before = await energy({ deviceId: late, from: iso(at(0)), to: iso(at(60) - 1), interval: '15m' }).expect(200);
    // An hour without readings (> 15 min): 300 Wh spread evenly, 75 Wh a quarter, all interpolated.
    expect(before.body.intervals.map((i: { kWh: number }) => i.kWh)).toEqual([0.075, 0.075, 0.075, 0.075]);
    expect(before.body.quality.interpolatedKWh).toBeCloseTo(0.3, 12);
    await ingest([reading(late, 15, { energy: 1240 })]);
    const after = await energy({ deviceId: late, from: iso(at(0)), to: iso(at(60) - 1), interval: '15m' }).expect(200);
    // 1,000 → 1,240 in 15 min: 240 Wh, counted; 1,240 → 1,300 over 45 min (a gap): 20 Wh a quarter, interpolated.
    const kWh = after.body.intervals.map((i: { kWh: number }) => i.kWh);
    [0.24, 0.02, 0.02, 0.02].forEach((v, i) => expect(kWh[i]).toBeCloseTo(v, 12));
    expect(after.body.quality.interpolatedKWh).toBeCloseTo(0.06, 12);
    expect(after.body.total.kWh).toBeCloseTo(0.3, 12);
  });

  it("counts days, weeks and months in the client's time zone and leaves days without readings null", async () => {
    const sp = await seedDevice(t.http, 'SP meter', 'Client SP');
    await t.http.patch(`/api/clients/${sp.clientId}`).send({ timezone: 'America/Sao_Paulo' }).expect(200);
    // São Paulo is UTC−3: its Monday 2026-11-02 runs from 03:00 UTC to 03:00 UTC on Tuesday.
    // +100 Wh every 15 minutes over exactly that day: 96 quarters × 0.1 kWh = 9.6 kWh.
    const readings = Array.from({ length: 97 }, (_, i) => reading(sp.deviceId, 180 + 15 * i, { energy: 5000 + 100 * i }));
    await ingest(readings);
    const dayStart = (d: number) => Date.UTC(2026, 10, d, 3);
    const days = await energy({ deviceId: sp.deviceId, from: iso(Date.UTC(2026, 9, 31, 3)), to: iso(dayStart(3) - 1), interval: 'day' }).expect(200);
    expect(days.body.timezone).toBe('America/Sao_Paulo');
    // from is 2026-10-31 03:00 UTC (local midnight): Saturday 31 (no readings: null), Sunday 1 (only the 23:45 quarter the
    // 00:00 reading closes, with 0 Wh), Monday 2 (9.6 kWh).
    expect(
      days.body.intervals.map((i: { start: string; end: string; kWh: number | null }) => [
        i.start,
        i.end,
        i.kWh === null ? null : Math.round(i.kWh * 1e9) / 1e9,
      ]),
    ).toEqual([
      [iso(Date.UTC(2026, 9, 31, 3)), iso(dayStart(1)), null],
      [iso(dayStart(1)), iso(dayStart(2)), 0],
      [iso(dayStart(2)), iso(dayStart(3)), 9.6],
    ]);
    const week = await energy({ deviceId: sp.deviceId, from: iso(dayStart(2)), to: iso(dayStart(3)), interval: 'week' }).expect(200);
    // The week from local Monday 2026-11-02 to Monday 2026-11-09.
    expect(week.body.intervals).toHaveLength(1);
    expect(week.body.intervals[0]).toMatchObject({ start: iso(dayStart(2)), end: iso(dayStart(9)) });
    expect(week.body.intervals[0].kWh).toBeCloseTo(9.6, 9);
    const month = await energy({ deviceId: sp.deviceId, from: iso(dayStart(2)), to: iso(dayStart(3)), interval: 'month' }).expect(200);
    expect(month.body.intervals).toHaveLength(1);
    expect(month.body.intervals[0]).toMatchObject({ start: iso(Date.UTC(2026, 10, 1, 3)), end: iso(Date.UTC(2026, 11, 1, 3)) });
    expect(month.body.intervals[0].kWh).toBeCloseTo(9.6, 9);
  });

  it("sums a client's devices, leaves simulated ones out and shows export beside import", async () => {
    const client = await t.http.post('/api/clients').send({ name: 'Client total' }).expect(201);
    const id = client.body.id;
    const a = await t.http.post('/api/devices').send({ clientId: id, name: 'A', deviceType: 'api' }).expect(201);
    const b = await t.http.post('/api/devices').send({ clientId: id, name: 'B', deviceType: 'api' }).expect(201);
    const sim = await t.http
      .post('/api/devices')
      .send({ clientId: id, name: 'Sim', deviceType: 'api', config: { simulated: true } })
      .expect(201);
    await ingest([
      reading(a.body.id, 0, { energy: 100, exportEnergy: 10 }),
      reading(a.body.id, 15, { energy: 300, exportEnergy: 60 }),
      reading(b.body.id, 0, { energy: 0 }),
      reading(b.body.id, 15, { energy: 500 }),
      reading(sim.body.id, 0, { energy: 0 }),
      reading(sim.body.id, 15, { energy: 9000 }),
    ]);
    const res = await energy({ clientId: id, from: iso(at(0)), to: iso(at(15) - 1), interval: '15m' }).expect(200);
    // A: 200 Wh, B: 500 Wh (the simulated device's 9,000 left out): 0.7 kWh; export of A: 50 Wh.
    expect(res.body.intervals).toHaveLength(1);
    expect(res.body.intervals[0].kWh).toBeCloseTo(0.7, 12);
    expect(res.body.intervals[0].exportKWh).toBeCloseTo(0.05, 12);
    expect(res.body.total.exportKWh).toBeCloseTo(0.05, 12);
  });

  it("leaves out a rise above the device's maxPowerW as a spike", async () => {
    const client = await t.http.post('/api/clients').send({ name: 'Client spike' }).expect(201);
    const dev = await t.http.post('/api/devices').send({ clientId: client.body.id, name: 'Small', deviceType: 'api', maxPowerW: 1000 }).expect(201);
    expect(dev.body.maxPowerW).toBe(1000);
    // 1,000 → 1,600 in 15 min would be 2,400 W (> 1,000 W): a spike; 1,000 → 1,100 at 00:30 is 200 W: 100 Wh counted.
    await ingest([reading(dev.body.id, 0, { energy: 1000 }), reading(dev.body.id, 15, { energy: 1600 }), reading(dev.body.id, 30, { energy: 1100 })]);
    const res = await energy({ deviceId: dev.body.id, from: iso(at(0)), to: iso(at(30) - 1), interval: 'hour' }).expect(200);
    expect(res.body.total.kWh).toBeCloseTo(0.1, 12);
    expect(res.body.quality.spikes).toBe(1);
    await t.http
      .patch(`/api/devices/${dev.body.id}`)
      .send({ maxPowerW: -5 })
      .expect(400)
      .expect((r) => expect(r.body.message).toMatch(/maxPowerW/));
    const plain = await t.http.get(`/api/devices/${deviceId}`).expect(200);
    expect(plain.body.maxPowerW).toBe(200_000);
  });

  it('integrates power where a device has no energy counter', async () => {
    const { deviceId: watts } = await seedDevice(t.http, 'Power only', 'Client power');
    // 1,200 W every minute from 00:00 to 00:29: 29 minutes between the first and the last reading, 1,200 × 29 / 60 = 580 Wh.
    await ingest(Array.from({ length: 30 }, (_, i) => reading(watts, i, { power: 1200 })));
    const res = await energy({ deviceId: watts, from: iso(at(0)), to: iso(at(60) - 1), interval: 'hour' }).expect(200);
    expect(res.body.total.kWh).toBeCloseTo(0.58, 12);
    expect(res.body.reason).toBeUndefined();
  });

  it('answers a device without an energy counter or power with empty intervals and a reason', async () => {
    const { deviceId: volts } = await seedDevice(t.http, 'Voltmeter', 'Client volts');
    await ingest([reading(volts, 0, { voltage: 230 }), reading(volts, 1, { voltage: 231 })]);
    const res = await energy({ deviceId: volts, from: iso(at(0)), to: iso(at(60) - 1), interval: '15m' }).expect(200);
    expect(res.body.intervals.map((i: { kWh: number | null }) => i.kWh)).toEqual([null, null, null, null]);
    expect(res.body.reason).toMatch(/neither an energy counter/);
    const demand = await t.http
      .get('/api/energy/demand')
      .query({ deviceId: volts, from: iso(at(0)), to: iso(at(60) - 1) })
      .expect(200);
    expect(demand.body.peak).toBeNull();
    expect(demand.body.reason).toMatch(/neither/);
  });

  it('refuses bad input with a 400 naming the field', async () => {
    const range = { from: iso(at(0)), to: iso(at(60)) };
    const bad = async (query: Record<string, unknown>, field: string) => {
      const res = await energy(query).expect(400);
      expect(res.body.message).toMatch(new RegExp(field));
    };
    await bad({ deviceId, ...range, interval: 'year' }, 'interval');
    await bad({ deviceId, from: iso(at(60)), to: iso(at(0)) }, 'from');
    await bad({ deviceId, from: '1999-12-31T00:00:00Z', to: iso(at(0)) }, 'from');
    await bad({ deviceId, from: iso(at(0)), to: '2101-01-02T00:00:00Z' }, 'to');
    // Two years in 15-minute intervals: 70,080 > 50,000.
    await bad({ deviceId, from: '2024-01-01T00:00:00Z', to: '2026-01-01T00:00:00Z', interval: '15m' }, 'interval');
    await bad({ ...range }, 'deviceId');
    await bad({ deviceId, clientId, ...range }, 'deviceId');
  });

  it("answers 404 for another client's device or client", async () => {
    const other = await seedDevice(t.http, 'Other meter', 'Client other');
    const outsider = await t.userAgent('admin', other.clientId);
    await outsider
      .get('/api/energy')
      .query({ deviceId, from: iso(at(0)), to: iso(at(60)) })
      .expect(404);
    await outsider
      .get('/api/energy')
      .query({ clientId, from: iso(at(0)), to: iso(at(60)) })
      .expect(404);
    await outsider
      .get('/api/energy/demand')
      .query({ deviceId, from: iso(at(0)), to: iso(at(60)) })
      .expect(404);
    // Its own device is fine.
    await outsider
      .get('/api/energy')
      .query({ deviceId: other.deviceId, from: iso(at(0)), to: iso(at(60)) })
      .expect(200);
  });
});

describe('energy quarters kept as readings come', () => {
  let t: TestApp;
  afterAll(() => t.close());

  it('are the same, reading by reading and out of order, as rebuilt from the rollups at once', async () => {
    t = await startTestApp({ RETENTION_RAW_DAYS: '36500', RETENTION_1M_DAYS: '36500' });
    const { deviceId } = await seedDevice(t.http);
    // A counter with a reset, a jitter, a spike and a gap, sent one reading at a time in a shuffled order, read after each.
    const values: Array<[number, number]> = [
      [0, 1000],
      [1, 1010],
      [2, 1005],
      [3, 1030],
      [5, 999_999],
      [6, 1050],
      [20, 1200],
      [21, 40],
      [22, 60],
      [50, 260],
      [51, 275],
    ];
    const order = [0, 1, 2, 3, 6, 4, 5, 7, 10, 8, 9];
    for (const k of order) {
      const [minute, energy] = values[k];
      await t.http
        .post('/api/ingest')
        .send({ readings: [{ deviceId, timestamp: T0 + minute * MIN + 1000, metrics: { energy } }] })
        .expect(200);
      await t.http
        .get('/api/energy')
        .query({ deviceId, from: iso(T0), to: iso(T0 + 3_600_000) })
        .expect(200);
    }
    const db = t.app.get(Database);
    const rows = () => db.query<Record<string, unknown>>('SELECT * FROM energy_quarters WHERE device_id = ? ORDER BY kind, quarter', [deviceId]);
    const kept = (await rows()).map((r) => ({
      ...r,
      wh: Math.round(Number(r['wh']) * 1e9) / 1e9,
      interpolated_wh: Math.round(Number(r['interpolated_wh']) * 1e9) / 1e9,
    }));
    await new RollupRebuild(db, t.app.get(RollupStore)).run(deviceId);
    const rebuilt = (await rows()).map((r) => ({
      ...r,
      wh: Math.round(Number(r['wh']) * 1e9) / 1e9,
      interpolated_wh: Math.round(Number(r['interpolated_wh']) * 1e9) / 1e9,
    }));
    expect(kept).toEqual(rebuilt);
    // By hand: +10, jitter 0, +20 (1,005 is within 10 % of 1,010: continues from 1,010), spike left out, +20 (1,030 → 1,050),
    // +150, reset +40, +20, +200 (a 28-minute gap, interpolated), +15: 475 Wh.
    const res = await t.http
      .get('/api/energy')
      .query({ deviceId, from: iso(T0), to: iso(T0 + 3_600_000 - 1), interval: 'hour' })
      .expect(200);
    expect(res.body.total.kWh).toBeCloseTo(0.475, 12);
    expect(res.body.quality).toMatchObject({ resets: 1, spikes: 1, rollovers: 0 });
    expect(res.body.quality.interpolatedKWh).toBeCloseTo(0.2, 12);
  });
});

describe('energy quarters rebuilt over more minutes than one read holds', () => {
  let t: TestApp;
  afterAll(() => t.close());

  it('continue from part to part with the same quarters as kept while the readings came', async () => {
    t = await startTestApp({ RETENTION_RAW_DAYS: '36500', RETENTION_1M_DAYS: '36500' });
    const { deviceId } = await seedDevice(t.http);
    // 15 days of minutes (21,600, more than the 20,000 a rebuild reads per transaction): +2 Wh a minute, a reset to 0 on day 14.
    const minutes = 15 * 1440;
    const resetAt = 14 * 1440;
    const value = (i: number) => (i < resetAt ? 2 * i : 2 * (i - resetAt));
    for (let first = 0; first < minutes; first += 10_000) {
      const readings = [];
      for (let i = first; i < Math.min(minutes, first + 10_000); i++) readings.push({ deviceId, timestamp: T0 + i * MIN, metrics: { energy: value(i) } });
      await t.http.post('/api/ingest').send({ readings }).expect(200);
    }
    const query = { deviceId, from: iso(T0), to: iso(T0 + minutes * MIN - 1), interval: 'day' };
    const kept = await t.http.get('/api/energy').query(query).expect(200);
    // 2 Wh in each of the 21,599 minutes between readings, except the reset minute, which counts its new value 0: 43,196 Wh.
    expect(kept.body.total.kWh).toBeCloseTo(43.196, 9);
    expect(kept.body.quality.resets).toBe(1);
    const db = t.app.get(Database);
    const rows = () =>
      db.query<Record<string, unknown>>('SELECT quarter, wh, resets, ref_ts FROM energy_quarters WHERE device_id = ? ORDER BY quarter', [deviceId]);
    const before = await rows();
    await t.app.get(RollupStore).energy.rebuildDevice(deviceId);
    expect(await rows()).toEqual(before);
    const rebuilt = await t.http.get('/api/energy').query(query).expect(200);
    expect(rebuilt.body.intervals).toEqual(kept.body.intervals);
  });
});

describe('energy quarters past the 1-minute retention', () => {
  let t: TestApp;
  afterAll(() => t.close());

  it('keep their energy when a late reading arrives where the 1-minute rollups are gone, and through a rebuild', async () => {
    t = await startTestApp({ RETENTION_RAW_DAYS: '36500', RETENTION_1M_DAYS: '36500' });
    const { deviceId } = await seedDevice(t.http);
    // +10 Wh a minute for two hours: 1,190 Wh between the first and the last reading.
    const readings = Array.from({ length: 120 }, (_, i) => ({ deviceId, timestamp: T0 + i * MIN, metrics: { energy: 1000 + 10 * i } }));
    await t.http.post('/api/ingest').send({ readings }).expect(200);
    const query = { deviceId, from: iso(T0), to: iso(T0 + 2 * 3_600_000 - 1), interval: 'hour' };
    const before = await t.http.get('/api/energy').query(query).expect(200);
    expect(before.body.total.kWh).toBeCloseTo(1.19, 12);
    // What the 1-minute retention does to the first hour.
    const db = t.app.get(Database);
    await db.transaction((m) => db.execute('DELETE FROM rollups WHERE device_id = ? AND bucket_ms = 60000 AND bucket < ?', [deviceId, T0 + 3_600_000], m));
    // A late reading in that hour (a forwarded backlog), which would otherwise be spread over the gap the deletion left.
    await t.http
      .post('/api/ingest')
      .send({ readings: [{ deviceId, timestamp: T0 + 30 * MIN + 30_000, metrics: { energy: 1305 } }] })
      .expect(200);
    const after = await t.http.get('/api/energy').query(query).expect(200);
    expect(after.body.intervals).toEqual(before.body.intervals);
    await t.app.get(RollupStore).energy.rebuildDevice(deviceId);
    const rebuilt = await t.http.get('/api/energy').query(query).expect(200);
    const kWh = rebuilt.body.intervals.map((i: { kWh: number }) => i.kWh);
    before.body.intervals.forEach((i: { kWh: number }, k: number) => expect(kWh[k]).toBeCloseTo(i.kWh, 12));
  });
});
