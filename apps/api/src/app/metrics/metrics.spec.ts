import { seedDevice, startTestApp, TestApp } from '../../testing/test-app';

const T0 = Date.UTC(2026, 10, 1, 0, 0, 0);
const N = 1200;
/** A fixed, deterministic data set: voltage wobbles around 230 V; current follows voltage; energy grows linearly in time with a ripple. */
const voltage = (i: number) => 230 + 2.5 * Math.sin(i / 7) + 0.8 * Math.cos(i / 3.1);
const current = (i: number) => 0.5 + 0.02 * voltage(i) + 0.01 * Math.sin(i / 2.3);
const energy = (i: number) => 1000 + 0.75 * i + 0.3 * Math.sin(i);
const ts = (i: number) => T0 + i * 60_000;

/** Independent two-pass statistics, computed here rather than taken from the server. */
function twoPass(values: number[]) {
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const std = Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1));
  return { n, mean, std, min: Math.min(...values), max: Math.max(...values) };
}
function regression(xs: number[], ys: number[]) {
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let sxy = 0,
    sxx = 0,
    syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (xs[i] - mx) * (ys[i] - my);
    sxx += (xs[i] - mx) ** 2;
    syy += (ys[i] - my) ** 2;
  }
  const slope = sxy / sxx;
  return { n, slope, intercept: my - slope * mx, r2: (sxy * sxy) / (sxx * syy) };
}

describe('metrics analytics', () => {
  let t: TestApp;
  let deviceId: number;
  const idx = Array.from({ length: N }, (_, i) => i);

  beforeAll(async () => {
    t = await startTestApp();
    ({ deviceId } = await seedDevice(t.http));
    const readings = idx.map((i) => ({ deviceId, timestamp: ts(i), metrics: { voltage: voltage(i), current: current(i), energy: energy(i), flat: 5 } }));
    await t.http.post('/api/ingest').send({ readings }).expect(200);
  });
  afterAll(() => t.close());

  it('summarises a series with the sample standard deviation and Cp/Cpk for given limits', async () => {
    const res = await t.http.get('/api/metrics/summary').query({ deviceId, metric: 'voltage', lsl: 198, usl: 242 }).expect(200);
    const ref = twoPass(idx.map(voltage));
    expect(res.body.count).toBe(N);
    expect(res.body.mean).toBeCloseTo(ref.mean, 9);
    expect(res.body.std).toBeCloseTo(ref.std, 9);
    expect(res.body.min).toBeCloseTo(ref.min, 12);
    expect(res.body.max).toBeCloseTo(ref.max, 12);
    const cp = (242 - 198) / (6 * ref.std);
    const cpk = Math.min(242 - ref.mean, ref.mean - 198) / (3 * ref.std);
    expect(res.body.sixSigma).toMatchObject({ lsl: 198, usl: 242, defaultLimits: false });
    expect(res.body.sixSigma.cp).toBeCloseTo(cp, 9);
    expect(res.body.sixSigma.cpk).toBeCloseTo(cpk, 9);
  });

  it('uses mean ± 3σ when no limits are given, which makes Cp = Cpk = 1', async () => {
    const res = await t.http.get('/api/metrics/summary').query({ deviceId, metric: 'voltage' }).expect(200);
    expect(res.body.sixSigma.defaultLimits).toBe(true);
    expect(res.body.sixSigma.cp).toBeCloseTo(1, 12);
    expect(res.body.sixSigma.cpk).toBeCloseTo(1, 12);
  });

  it('restricts the summary to a period', async () => {
    const from = new Date(ts(100)).toISOString();
    const to = new Date(ts(199)).toISOString();
    const res = await t.http.get('/api/metrics/summary').query({ deviceId, metric: 'voltage', from, to }).expect(200);
    const ref = twoPass(idx.slice(100, 200).map(voltage));
    expect(res.body.count).toBe(100);
    expect(res.body.mean).toBeCloseTo(ref.mean, 9);
  });

  it('fits energy against time (seconds since the epoch)', async () => {
    const res = await t.http.get('/api/metrics/linreg').query({ deviceId, x: 'time', y: 'energy' }).expect(200);
    const ref = regression(
      idx.map((i) => ts(i) / 1000),
      idx.map(energy),
    );
    expect(res.body.n).toBe(N);
    expect(res.body.slope).toBeCloseTo(ref.slope, 12); // 0.75 Wh per minute = 0.0125 Wh/s
    expect(res.body.slope).toBeCloseTo(0.75 / 60, 6);
    expect(res.body.intercept / ref.intercept).toBeCloseTo(1, 9);
    expect(res.body.r2).toBeCloseTo(ref.r2, 9);
  });

  it('fits one metric against another, paired by timestamp', async () => {
    const res = await t.http.get('/api/metrics/linreg').query({ deviceId, x: 'voltage', y: 'current' }).expect(200);
    const ref = regression(idx.map(voltage), idx.map(current));
    expect(res.body.n).toBe(N);
    expect(res.body.slope).toBeCloseTo(ref.slope, 9);
    expect(res.body.intercept).toBeCloseTo(ref.intercept, 8);
    expect(res.body.r2).toBeCloseTo(ref.r2, 9);
  });

  it('answers 422 for fewer than 2 points or zero variance', async () => {
    const one = await t.http
      .get('/api/metrics/linreg')
      .query({ deviceId, x: 'time', y: 'voltage', from: ts(5), to: ts(5) })
      .expect(422);
    expect(one.body.message).toMatch(/at least 2/);
    const flat = await t.http.get('/api/metrics/linreg').query({ deviceId, x: 'flat', y: 'voltage' }).expect(422);
    expect(flat.body.message).toMatch(/zero variance/);
  });

  it('buckets a series for charts, at the smallest clock-friendly width that gives at most `points` buckets', async () => {
    // 100 minutes in at most 10 buckets: 5 min gives 20, 15 min gives 7 (00:00, 00:15, ... 01:30).
    const res = await t.http
      .get('/api/metrics/series')
      .query({ deviceId, metrics: 'voltage,energy', from: ts(0), to: ts(99) + 59_999, points: 10 })
      .expect(200);
    expect(res.body).toMatchObject({ bucketMs: 900_000, resolution: '15m', timezone: 'UTC' });
    const v = res.body.series.find((s: { metric: string }) => s.metric === 'voltage');
    expect(v.unit).toBe('V');
    expect(v.points).toHaveLength(7);
    const first = idx.slice(0, 15).map(voltage);
    expect(v.points[0].t).toBe(new Date(T0).toISOString());
    expect(v.points[1].t).toBe(new Date(T0 + 900_000).toISOString());
    expect(v.points[0].count).toBe(15);
    expect(v.points[0].avg).toBeCloseTo(first.reduce((a, b) => a + b) / 15, 9);
    expect(v.points[0].min).toBeCloseTo(Math.min(...first), 12);
    expect(v.points[0].max).toBeCloseTo(Math.max(...first), 12);
    // Points are whole buckets: the last one, 01:30-01:45, holds minutes 90-104 although `to` is 01:39:59.
    expect(v.points[6]).toMatchObject({ t: new Date(T0 + 90 * 60_000).toISOString(), count: 15 });
  });

  it('pages raw values with a cursor, without gaps or repeats', async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const res = await t.http
        .get('/api/metrics')
        .query({ deviceId, metric: 'energy', limit: 500, ...(cursor && { cursor }) })
        .expect(200);
      seen.push(...res.body.items.map((i: { ts: string }) => i.ts));
      cursor = res.body.nextCursor ?? undefined;
    } while (cursor);
    expect(seen).toHaveLength(N);
    expect(new Set(seen).size).toBe(N);
    expect(seen[0]).toBe(new Date(T0).toISOString());
  });

  it('answers 400 for a limit above the maximum or a bad cursor', async () => {
    const res = await t.http.get('/api/metrics').query({ deviceId, limit: 10001 }).expect(400);
    expect(res.body.errors[0].field).toBe('limit');
    await t.http.get('/api/metrics').query({ deviceId, cursor: 'bm9wZQ' }).expect(400);
    await t.http.get('/api/metrics/summary').query({ deviceId, metric: 'voltage', lsl: 250, usl: 200 }).expect(400);
    await t.http.get('/api/metrics/summary').query({ deviceId, metric: 'voltage', from: 'soon' }).expect(400);
  });

  it('answers 400 naming the field for times a Date cannot hold, impossible dates, ids past the id column and forged cursors', async () => {
    const fields = async (path: string, query: Record<string, unknown>) => {
      const res = await t.http.get(path).query(query).expect(400);
      return res.body.errors.map((e: { field: string }) => e.field);
    };
    // Times outside 2000-2100 are mistakes (seconds for milliseconds, a typo), answered before any query.
    expect(await fields('/api/metrics/series', { deviceId, metrics: 'voltage', from: Date.UTC(2026, 0, 1), to: 9007199254740991 })).toEqual(['to']);
    expect(await fields('/api/metrics/series', { deviceId, metrics: 'voltage', from: 1_764_000_000 })).toEqual(['from']);
    expect(await fields('/api/metrics/series', { deviceId, metrics: 'voltage', from: '1999-12-31T23:59:59.999Z' })).toEqual(['from']);
    expect(await fields('/api/metrics/series', { deviceId, metrics: 'voltage', to: '2101-01-01' })).toEqual(['to']);
    expect(await fields('/api/metrics/summary', { deviceId, metric: 'voltage', from: '2026-02-30T12:00:00Z', to: '2026-13-01' })).toEqual(['from', 'to']);
    expect(await fields('/api/metrics', { deviceId, from: '2026-11-26T24:00:00Z' })).toEqual(['from']);
    expect(await fields('/api/metrics/linreg', { deviceId, x: 'time', y: 'voltage', to: '2026-11-26T12:00:00' })).toEqual(['to']);
    expect(await fields('/api/metrics/series', { deviceId, metrics: 'voltage', from: ts(10), to: ts(5) })).toEqual(['from']);
    expect(await fields('/api/metrics/series', { deviceId, metrics: 'voltage', points: 10_001 })).toEqual(['points']);
    // The whole allowed range is a time: 101 years in 10 buckets of whole days.
    const widest = await t.http
      .get('/api/metrics/series')
      .query({ deviceId, metrics: 'voltage', from: '2000-01-01', to: '2100-12-31T23:59:59.999Z', points: 10 })
      .expect(200);
    expect(widest.body.to).toBe('2100-12-31T23:59:59.999Z');
    expect(widest.body.resolution).toBe('1h');
    expect(widest.body.series[0].points).toHaveLength(1);
    expect(widest.body.series[0].points[0].count).toBe(N);
    // An unknown metric is an empty series, not an error.
    const unknown = await t.http
      .get('/api/metrics/series')
      .query({ deviceId, metrics: 'neverMeasured', from: ts(0), to: ts(N) })
      .expect(200);
    expect(unknown.body.series).toEqual([{ metric: 'neverMeasured', unit: '', points: [] }]);
    // Ids are integer columns (at most 2^31 - 1 on PostgreSQL); a cursor's time is a stored time.
    expect(await fields('/api/metrics', { deviceId: 2 ** 31 })).toEqual(['deviceId']);
    expect(await fields('/api/metrics', { deviceId, cursor: Buffer.from('99999999999999999999999:voltage').toString('base64url') })).toEqual(['cursor']);
    expect((await t.http.get(`/api/devices/${2 ** 31}`).expect(400)).body.errors[0].field).toBe('id');
    expect(await fields('/api/devices', { clientId: '99999999999999999999' })).toEqual(['clientId']);
    expect(await fields('/api/alarms/events', { deviceId: 2 ** 31 })).toEqual(['deviceId']);
  });

  it('answers 404 for an unknown device', async () => {
    await t.http.get('/api/metrics/summary').query({ deviceId: 4242, metric: 'voltage' }).expect(404);
  });
});
