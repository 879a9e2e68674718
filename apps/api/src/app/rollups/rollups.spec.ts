import { Database } from '../database/database.service';
import { runServer } from '../server';
import { waitFor } from '../../testing/wait';
import { RollupStore } from './rollup-store';
import { seedDevice, startTestApp, TestApp } from '../../testing/test-app';

// Three hours of readings every 10 s, starting 7 s past a whole minute, sent out of time order.
const T0 = Date.UTC(2026, 5, 1, 0, 0, 0);
const N = 1080;
const ts = (i: number) => T0 + 7_000 + i * 10_000;
/** Near-constant: 229.99, 230.00 or 230.01 V. */
const voltage = (i: number) => [229.99, 230.0, 230.01][(i * 7) % 3];
const power = (i: number) => 1000 + 50 * Math.sin(i / 9) + 0.002 * i;
const METRICS = { voltage, power } as const;

function twoPass(values: number[]) {
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const std = Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1));
  return { n, mean, std, min: Math.min(...values), max: Math.max(...values) };
}

describe('rollups: maintained at ingest, read by series, summary and regression', () => {
  let t: TestApp;
  let db: Database;
  let deviceId: number;
  let clientId: number;
  const idx = Array.from({ length: N }, (_, i) => i);
  const inRange = (from: number, to: number) => idx.filter((i) => ts(i) >= from && ts(i) <= to);

  beforeAll(async () => {
    // Fixed dates in June 2026 must read the same whenever the test runs: the platform keeps everything here
    // (a chart past a retention falls back to coarser rollups; the per-client test below sets its own).
    t = await startTestApp({ RETENTION_RAW_DAYS: '36500', RETENTION_1M_DAYS: '36500' });
    db = t.app.get(Database);
    ({ deviceId, clientId } = await seedDevice(t.http));
    // 379 is prime to 1080: a fixed shuffle of every index, sent in batches of 200.
    const order = idx.map((i) => (i * 379) % N);
    for (let b = 0; b < N; b += 200) {
      const readings = order.slice(b, b + 200).map((i) => ({ deviceId, timestamp: ts(i), metrics: { voltage: voltage(i), power: power(i) } }));
      const res = await t.http.post('/api/ingest').send({ readings }).expect(200);
      expect(res.body.stored).toBe(readings.length * 2);
    }
    // A batch sent again changes nothing: its values are duplicates and stay out of the rollups.
    const again = order.slice(0, 200).map((i) => ({ deviceId, timestamp: ts(i), metrics: { voltage: voltage(i), power: power(i) } }));
    expect((await t.http.post('/api/ingest').send({ readings: again }).expect(200)).body).toMatchObject({ stored: 0, duplicates: 400 });
  });
  afterAll(() => t.close());

  it('holds each bucket as the raw readings give it, whatever order they came in', async () => {
    // The hour 01:00-02:00 holds readings 360 (01:00:07) to 719 (01:59:57).
    const hour = idx.filter((i) => ts(i) >= T0 + 3_600_000 && ts(i) < T0 + 7_200_000);
    expect([hour[0], hour[hour.length - 1]]).toEqual([360, 719]);
    // Without any read: the once-a-second merge empties rollup_pending and writes the hour. Both are waited
    // for: this read shares the one SQLite connection with the merge, so between the merge's statements
    // it can see pending emptied before the hour is written.
    const row = await waitFor(
      'pending sums merged into the hour',
      async () => {
        if (Number((await db.query('SELECT COUNT(*) AS n FROM rollup_pending'))[0].n) !== 0) return undefined;
        const [hourRow] = await db.query('SELECT * FROM rollups WHERE device_id = ? AND metric = ? AND bucket_ms = ? AND bucket = ?', [
          deviceId,
          'power',
          3_600_000,
          T0 + 3_600_000,
        ]);
        return hourRow && Number(hourRow.value_count) === 360 ? hourRow : undefined;
      },
      10_000,
    );
    const ref = twoPass(hour.map(power));
    expect(Number(row.value_count)).toBe(360);
    expect(Number(row.first_ts)).toBe(ts(360));
    expect(Number(row.first_value)).toBeCloseTo(power(360), 9);
    expect(Number(row.last_ts)).toBe(ts(719));
    expect(Number(row.last_value)).toBeCloseTo(power(719), 9);
    expect(Number(row.value_mean)).toBeCloseTo(ref.mean, 9);
    expect(Math.sqrt(Number(row.value_m2) / 359)).toBeCloseTo(ref.std, 9);
    expect(Number(row.value_min)).toBeCloseTo(ref.min, 12);
    expect(Number(row.value_max)).toBeCloseTo(ref.max, 12);
    const [{ n }] = await db.query('SELECT COUNT(*) AS n FROM rollups WHERE device_id = ? AND bucket_ms = 60000', [deviceId]);
    expect(Number(n)).toBe(2 * 180); // two metrics, 180 minutes
  });

  const from = T0 + 5 * 60_000 + 13_000; // 00:05:13
  const to = T0 + 2 * 3_600_000 + 41 * 60_000 + 10_000; // 02:41:10

  it.each([
    [1000, 10_000, 'raw'],
    [200, 60_000, '1m'],
    [20, 900_000, '15m'],
    [3, 3_600_000, '1h'],
  ])('draws %i points at most as buckets of %i ms read from %s, equal to raw SQL over the same buckets', async (points, step, resolution) => {
    const res = await t.http.get('/api/metrics/series').query({ deviceId, metrics: 'power,voltage', from, to, points }).expect(200);
    expect(res.body).toMatchObject({ bucketMs: step, resolution });
    for (const metric of ['power', 'voltage']) {
      const lo = from - (from % step);
      const hi = to - (to % step) + step;
      const expected = await db.query(
        `SELECT ts - ts % ${step} AS b, AVG(value) AS avg, MIN(value) AS min, MAX(value) AS max, COUNT(*) AS n FROM measurements
         WHERE device_id = ? AND metric = ? AND ts >= ? AND ts < ? GROUP BY b ORDER BY b`,
        [deviceId, metric, lo, hi],
      );
      const drawn = res.body.series.find((s: { metric: string }) => s.metric === metric).points;
      expect(drawn.length).toBe(expected.length);
      expect(drawn.length).toBeLessThanOrEqual(points);
      drawn.forEach((p: { t: string; avg: number; min: number; max: number; count: number }, k: number) => {
        expect(Date.parse(p.t)).toBe(Number(expected[k].b));
        expect(Date.parse(p.t) % step).toBe(0);
        expect(p.count).toBe(Number(expected[k].n));
        expect(p.avg).toBeCloseTo(Number(expected[k].avg), 9);
        expect(p.min).toBe(Number(expected[k].min));
        expect(p.max).toBe(Number(expected[k].max));
      });
    }
  });

  it('summarises a range that starts and ends mid-bucket exactly as two passes over the raw rows', async () => {
    for (const metric of ['power', 'voltage'] as const) {
      const res = await t.http.get('/api/metrics/summary').query({ deviceId, metric, from, to }).expect(200);
      const ref = twoPass(inRange(from, to).map(METRICS[metric]));
      expect(res.body.count).toBe(ref.n);
      expect(res.body.mean).toBeCloseTo(ref.mean, 10);
      expect(res.body.std / ref.std).toBeCloseTo(1, 9);
      expect(res.body.min).toBe(ref.min);
      expect(res.body.max).toBe(ref.max);
    }
    // σ of 229.99/230.00/230.01 in equal thirds: sqrt(Σ(v − 230)² / (n − 1)) = 0.01 × sqrt(2/3 × n / (n − 1)).
    const all = await t.http.get('/api/metrics/summary').query({ deviceId, metric: 'voltage' }).expect(200);
    expect(all.body.count).toBe(N);
    expect(all.body.mean).toBeCloseTo(230, 12);
    expect(all.body.std / (0.01 * Math.sqrt(((2 / 3) * N) / (N - 1)))).toBeCloseTo(1, 10);
  });

  it('fits a metric against time from rollups, equal to least squares over the raw rows', async () => {
    const res = await t.http.get('/api/metrics/linreg').query({ deviceId, x: 'time', y: 'power', from, to }).expect(200);
    const pts = inRange(from, to);
    const xs = pts.map((i) => ts(i) / 1000);
    const ys = pts.map(power);
    const mx = xs.reduce((a, b) => a + b) / xs.length;
    const my = ys.reduce((a, b) => a + b) / ys.length;
    let sxy = 0,
      sxx = 0,
      syy = 0;
    xs.forEach((x, k) => {
      sxy += (x - mx) * (ys[k] - my);
      sxx += (x - mx) ** 2;
      syy += (ys[k] - my) ** 2;
    });
    expect(res.body.n).toBe(pts.length);
    expect(res.body.slope / (sxy / sxx)).toBeCloseTo(1, 8);
    expect(res.body.intercept / (my - (sxy / sxx) * mx)).toBeCloseTo(1, 8);
    expect(res.body.r2).toBeCloseTo((sxy * sxy) / (sxx * syy), 8);
  });

  it('shows a late reading (a backlog from last week) at once, in its own bucket', async () => {
    const lastWeek = T0 - 7 * 86_400_000 + 42_000;
    await t.http
      .post('/api/ingest')
      .send({ readings: [{ deviceId, timestamp: lastWeek, metrics: { power: 321.5 } }] })
      .expect(200);
    const res = await t.http
      .get('/api/metrics/series')
      .query({ deviceId, metrics: 'power', from: T0 - 8 * 86_400_000, to: T0 - 86_400_000, points: 10 })
      .expect(200);
    expect(res.body.resolution).toBe('1h');
    expect(res.body.series[0].points).toEqual([{ t: new Date(T0 - 7 * 86_400_000).toISOString(), avg: 321.5, min: 321.5, max: 321.5, count: 1 }]);
    const summary = await t.http
      .get('/api/metrics/summary')
      .query({ deviceId, metric: 'power', to: T0 - 1 })
      .expect(200);
    expect(summary.body).toMatchObject({ count: 1, mean: 321.5, std: null });
  });

  it('starts day buckets at midnight in the client time zone, which only platform staff set', async () => {
    const operator = await t.userAgent('admin', clientId);
    await operator.patch(`/api/clients/${clientId}`).send({ timezone: 'America/Sao_Paulo' }).expect(403);
    const bad = await t.http.patch(`/api/clients/${clientId}`).send({ timezone: 'Mars/Olympus' }).expect(400);
    expect(bad.body.errors[0].field).toBe('timezone');
    expect((await t.http.patch(`/api/clients/${clientId}`).send({ timezone: 'America/Sao_Paulo' }).expect(200)).body.timezone).toBe('America/Sao_Paulo');
    try {
      // Two local days (31 May and 1 June) in 2 points: day buckets, which in São Paulo start at 03:00 UTC.
      // The 3 hours of readings (00:00:07-02:59:57 UTC on 1 June) are still 31 May there.
      const res = await t.http
        .get('/api/metrics/series')
        .query({ deviceId, metrics: 'voltage', from: '2026-05-31T03:00:00Z', to: '2026-06-02T02:59:59.999Z', points: 2 })
        .expect(200);
      expect(res.body).toMatchObject({ bucketMs: 86_400_000, resolution: '1h', timezone: 'America/Sao_Paulo' });
      expect(res.body.series[0].points.map((p: { t: string; count: number }) => [p.t, p.count])).toEqual([['2026-05-31T03:00:00.000Z', N]]);
    } finally {
      await t.http.patch(`/api/clients/${clientId}`).send({ timezone: null }).expect(200);
    }
  });

  it('follows a daylight-saving change: the 23-hour day of 29 March 2026 in Berlin', async () => {
    const berlin = await t.http.post('/api/clients').send({ name: 'Berlin plant', timezone: 'Europe/Berlin' }).expect(201);
    const meter = await t.http.post('/api/devices').send({ clientId: berlin.body.id, name: 'Berlin meter', deviceType: 'api' }).expect(201);
    // Hourly from local midnight of 28 March (23:00 UTC on the 27th) to 23:00 local on the 31st: 24 + 23 + 24 + 24 = 95 readings.
    const start = Date.parse('2026-03-27T23:00:00Z');
    const readings = Array.from({ length: 95 }, (_, h) => ({ deviceId: meter.body.id, timestamp: start + h * 3_600_000, metrics: { power: h } }));
    await t.http.post('/api/ingest').send({ readings }).expect(200);
    const res = await t.http
      .get('/api/metrics/series')
      .query({ deviceId: meter.body.id, metrics: 'power', from: '2026-03-27T23:00:00Z', to: '2026-03-31T21:59:59.999Z', points: 4 })
      .expect(200);
    expect(res.body).toMatchObject({ bucketMs: 86_400_000, resolution: '1h', timezone: 'Europe/Berlin' });
    expect(res.body.series[0].points.map((p: { t: string; count: number; min: number; max: number }) => [p.t, p.count, p.min, p.max])).toEqual([
      ['2026-03-27T23:00:00.000Z', 24, 0, 23],
      ['2026-03-28T23:00:00.000Z', 23, 24, 46],
      ['2026-03-29T22:00:00.000Z', 24, 47, 70],
      ['2026-03-30T22:00:00.000Z', 24, 71, 94],
    ]);
  });

  it('draws a chart whose start is past a retention in the finest resolution still kept', async () => {
    const short = await t.http.post('/api/clients').send({ name: 'Short memory' }).expect(201);
    await t.http
      .patch(`/api/clients/${short.body.id}`)
      .send({ retention: { rawDays: 1, oneMinuteDays: 2 } })
      .expect(200);
    const meter = await t.http.post('/api/devices').send({ clientId: short.body.id, name: 'Short meter', deviceType: 'api' }).expect(201);
    const midnight = Date.now() - (Date.now() % 86_400_000);
    const series = (from: number) =>
      t.http
        .get('/api/metrics/series')
        .query({ deviceId: meter.body.id, metrics: 'power', from, to: from + 3_600_000 - 1, points: 500 })
        .expect(200);
    // An hour within the raw retention: 10 s buckets of the raw readings.
    expect((await series(midnight)).body).toMatchObject({ bucketMs: 10_000, resolution: 'raw' });
    // 36 hours before midnight: raw readings are gone (1 day), 1-minute rollups kept (2 days).
    expect((await series(midnight - 36 * 3_600_000)).body).toMatchObject({ bucketMs: 60_000, resolution: '1m' });
    // Five days back: only the 15-minute and hourly rollups are left; the hour is 4 quarter-hour points, not 360 empty ones.
    const old = midnight - 5 * 86_400_000;
    await t.http
      .post('/api/ingest')
      .send({ readings: Array.from({ length: 360 }, (_, i) => ({ deviceId: meter.body.id, timestamp: old + i * 10_000, metrics: { power: i } })) })
      .expect(200);
    const past = (await series(old)).body;
    expect(past).toMatchObject({ bucketMs: 900_000, resolution: '15m' });
    expect(past.series[0].points.map((p: { count: number }) => p.count)).toEqual([90, 90, 90, 90]);
  });

  it('merges pending sums once however many merges run at once (two instances on PostgreSQL)', async () => {
    const meter = await t.http.post('/api/devices').send({ clientId, name: 'Busy meter', deviceType: 'api' }).expect(201);
    const start = Date.UTC(2026, 7, 1);
    for (let b = 0; b < 5; b++) {
      const readings = Array.from({ length: 200 }, (_, i) => ({ deviceId: meter.body.id, timestamp: start + (b * 200 + i) * 5_000, metrics: { power: 1 } }));
      await t.http.post('/api/ingest').send({ readings }).expect(200);
    }
    const store = t.app.get(RollupStore);
    await Promise.all([store.flush(), store.flush(), store.flush(meter.body.id), store.flush()]);
    const [{ n, total }] = await db.query('SELECT COUNT(*) AS n, SUM(value_count) AS total FROM rollups WHERE device_id = ? AND bucket_ms = 3600000', [
      meter.body.id,
    ]);
    // 1,000 readings every 5 s from 00:00: 720 in the first hour, 280 in the second.
    expect([Number(n), Number(total)]).toEqual([2, 1000]);
  });

  it('rebuilds rollups from the raw readings with rollups-rebuild, reporting progress on stderr', async () => {
    const before = await t.http.get('/api/metrics/summary').query({ deviceId, metric: 'power', from, to }).expect(200);
    // Rollups damaged behind the server's back: one hour gone, one minute wrong.
    await db.transaction((m) => db.execute('DELETE FROM rollups WHERE device_id = ? AND bucket_ms = 3600000 AND bucket = ?', [deviceId, T0 + 3_600_000], m));
    await db.transaction((m) =>
      db.execute('UPDATE rollups SET value_count = 99 WHERE device_id = ? AND bucket_ms = 60000 AND bucket = ?', [deviceId, T0 + 10 * 60_000], m),
    );
    const damaged = await t.http.get('/api/metrics/summary').query({ deviceId, metric: 'power', from, to }).expect(200);
    expect(damaged.body.count).not.toBe(before.body.count);

    const env = { DATA_DIR: t.dataDir, LOG_LEVEL: 'error', ...(t.config.database.type === 'postgres' && { DATABASE_URL: t.config.database.url }) };
    const out: string[] = [];
    const err: string[] = [];
    const io = { out: (l: string) => out.push(l), err: (l: string) => err.push(l) };
    expect(await runServer(['rollups-rebuild', '--device', String(deviceId)], env, io)).toBe(0);
    expect(err.join('\n')).toMatch(new RegExp(`device ${deviceId} \\(Meter A\\) 1/1 done: 2,161 values in 2 metric\\(s\\)`));
    expect(out.join('\n')).toMatch(/Rollups rebuilt for 1 device\(s\) from 2,161 raw values/);
    const after = await t.http.get('/api/metrics/summary').query({ deviceId, metric: 'power', from, to }).expect(200);
    // Summed again in time order rather than in the order the readings came: equal to the last few digits.
    expect(after.body.count).toBe(before.body.count);
    for (const k of ['mean', 'std', 'min', 'max'] as const) expect(after.body[k] / before.body[k]).toBeCloseTo(1, 12);

    expect(await runServer(['rollups-rebuild', '--device', '4242'], env, io)).toBe(1);
    expect(err[err.length - 1]).toMatch(/Device 4242 not found/);
    expect(await runServer(['rollups-rebuild', '--device'], env, io)).toBe(1);
    expect(err[err.length - 1]).toMatch(/Usage: rollups-rebuild/);
  });
});
