import { seedDevice, startTestApp, TestApp } from '../../testing/test-app';

const H = 3_600_000;
const DAY = 24 * H;
const iso = (ms: number) => new Date(ms).toISOString();
/** Monday 2026-11-09 00:00 UTC (no Brazilian holiday that week until Friday the 20th, the week after). */
const MON = Date.UTC(2026, 10, 9);

describe('analytics API', () => {
  let t: TestApp;
  let clientId: number;
  const ingest = (readings: unknown[]) => t.http.post('/api/ingest').send({ readings }).expect(200);
  const device = async (name: string, client = clientId) =>
    (await t.http.post('/api/devices').send({ clientId: client, name, deviceType: 'api' }).expect(201)).body.id as number;

  /** A counter (Wh) read at each day's midnight: day k uses kWh[k]. */
  const dailyCounter = async (deviceId: number, start: number, kWh: number[]) => {
    let wh = 1_000_000;
    const readings = [{ deviceId, timestamp: start, metrics: { energy: wh } }];
    kWh.forEach((e, k) => readings.push({ deviceId, timestamp: start + (k + 1) * DAY, metrics: { energy: (wh += e * 1000) } }));
    await ingest(readings);
  };

  beforeAll(async () => {
    t = await startTestApp({ RETENTION_RAW_DAYS: '36500', RETENTION_1M_DAYS: '36500', RETENTION_15M_DAYS: '36500', RETENTION_1H_DAYS: '36500' });
    clientId = (await t.http.post('/api/clients').send({ name: 'Plant' }).expect(201)).body.id;
  });
  afterAll(() => t.close());

  describe('baseline and savings', () => {
    let meter: number;
    let line: number;
    const range = { from: iso(MON), to: iso(MON + 4 * DAY - 1) };

    beforeAll(async () => {
      meter = await device('Main meter');
      line = await device('Line counter');
      // 10, 12, 14, 16 kWh against production 1, 2, 3, 4; a fifth day: production 5, 17 kWh.
      await dailyCounter(meter, MON, [10, 12, 14, 16, 17]);
      await ingest([1, 2, 3, 4, 5].map((units, k) => ({ deviceId: line, timestamp: MON + k * DAY + 12 * H, metrics: { production: units } })));
    });

    it('fits kWh = 8 + 2 · units with R² = 1 and passes G14', async () => {
      const res = await t.http
        .post('/api/analytics/baseline')
        .send({ deviceId: meter, ...range, interval: 'day', drivers: [{ deviceId: line, metric: 'production', transform: 'sum' }] })
        .expect(200);
      expect(res.body.n).toBe(4);
      expect(res.body.coefficients.map((c: { name: string }) => c.name)).toEqual(['intercept', `${line}:production:sum`]);
      expect(res.body.coefficients[0].value).toBeCloseTo(8, 9);
      expect(res.body.coefficients[1].value).toBeCloseTo(2, 9);
      expect(res.body.r2).toBe(1);
      expect(res.body.g14).toMatchObject({ criteria: 'hourly', passes: true });
      // Quarters summed in SQL: equal to 1e-9, not to the last bit, on PostgreSQL.
      [10, 12, 14, 16].forEach((v, i) => expect(res.body.points[i].kWh).toBeCloseTo(v, 9));
    });

    it('saves it, and the fifth day saves 18 − 17 = 1 kWh', async () => {
      const saved = await t.http
        .post('/api/analytics/baselines')
        .send({ name: 'Line 1', deviceId: meter, ...range, interval: 'day', drivers: [{ deviceId: line, metric: 'production', transform: 'sum' }] })
        .expect(201);
      expect(saved.body).toMatchObject({ name: 'Line 1', deviceId: meter, interval: 'day', n: 4 });
      const list = await t.http.get('/api/analytics/baselines').query({ deviceId: meter }).expect(200);
      expect(list.body.map((b: { id: number }) => b.id)).toEqual([saved.body.id]);
      const res = await t.http
        .get(`/api/analytics/baselines/${saved.body.id}/savings`)
        .query({ from: iso(MON + 4 * DAY), to: iso(MON + 5 * DAY - 1) })
        .expect(200);
      expect(res.body.points).toHaveLength(1);
      expect(res.body.points[0].expectedKWh).toBeCloseTo(18, 9);
      expect(res.body.points[0].actualKWh).toBeCloseTo(17, 9);
      expect(res.body.savingsKWh).toBeCloseTo(1, 9);
    });

    it('refuses too few points, a singular design and a degree-day driver without base, naming the cause', async () => {
      const few = await t.http
        .post('/api/analytics/baseline')
        .send({
          deviceId: meter,
          from: iso(MON),
          to: iso(MON + 3 * DAY - 1),
          interval: 'day',
          drivers: [{ deviceId: line, metric: 'production', transform: 'sum' }],
        })
        .expect(422);
      expect(few.body.message).toMatch(/3 points for 2 coefficients.*coefficients \+ 2 = 4/);
      // With one reading a day, the sum and the mean of production are the same column: collinear.
      const singular = await t.http
        .post('/api/analytics/baseline')
        .send({
          deviceId: meter,
          from: iso(MON),
          to: iso(MON + 5 * DAY - 1),
          interval: 'day',
          drivers: [
            { deviceId: line, metric: 'production', transform: 'sum' },
            { deviceId: line, metric: 'production', transform: 'mean' },
          ],
        })
        .expect(422);
      expect(singular.body.message).toMatch(new RegExp(`singular design: ${line}:production:mean`));
      const noBase = await t.http
        .post('/api/analytics/baseline')
        .send({ deviceId: meter, ...range, interval: 'day', drivers: [{ deviceId: line, metric: 'temperature', transform: 'cdd' }] })
        .expect(400);
      expect(noBase.body.message).toMatch(/drivers\[0\]\.base/);
      const badInterval = await t.http
        .post('/api/analytics/baseline')
        .send({ deviceId: meter, ...range, interval: 'hour', drivers: [] })
        .expect(400);
      expect(badInterval.body.message).toMatch(/interval/);
      const noFrom = await t.http.post('/api/analytics/baseline').send({ deviceId: meter, to: range.to, interval: 'day', drivers: [] }).expect(400);
      expect(noFrom.body.message).toMatch(/from/);
    });
  });

  describe('anomalies and forecast', () => {
    let meter: number;
    beforeAll(async () => {
      meter = await device('Hourly meter');
      // Mon-Fri 2026-11-09..13, a counter read on every hour: hour 9 uses 10.2, 10.8, 9.9, 10.5, 12.4 kWh, every other hour 1 kWh.
      const nine = [10.2, 10.8, 9.9, 10.5, 12.4];
      let wh = 0;
      const readings = [{ deviceId: meter, timestamp: MON, metrics: { energy: wh } }];
      for (let day = 0; day < 5; day++) {
        for (let hour = 0; hour < 24; hour++) {
          wh += (hour === 9 ? nine[day] : 1) * 1000;
          readings.push({ deviceId: meter, timestamp: MON + day * DAY + (hour + 1) * H, metrics: { energy: Math.round(wh * 1000) / 1000 } });
        }
      }
      await ingest(readings);
    });

    it("scores Friday's 09:00 12.4 kWh against the median 10.35 and MAD 0.30 of the four weekdays before: z = 4.61", async () => {
      const res = await t.http
        .get('/api/analytics/anomalies')
        .query({ deviceId: meter, from: iso(MON + 4 * DAY), to: iso(MON + 5 * DAY - 1) })
        .expect(200);
      expect(res.body.hours).toHaveLength(24);
      expect(res.body.anomalies).toBe(1);
      const nine = res.body.hours.find((h: { start: string }) => h.start === iso(MON + 4 * DAY + 9 * H));
      expect(nine.kWh).toBeCloseTo(12.4, 9);
      expect(nine.expectedKWh).toBeCloseTo(10.35, 9);
      expect(nine.mad).toBeCloseTo(0.3, 9);
      expect(nine.z).toBeCloseTo(4.61, 2);
      expect(nine.anomaly).toBe(true);
      expect(nine.bandHighKWh).toBeCloseTo(10.35 + (3.5 * 0.3) / 0.6745, 9);
      const only = await t.http
        .get('/api/analytics/anomalies')
        .query({ clientId, from: iso(MON + 4 * DAY), to: iso(MON + 5 * DAY - 1), onlyAnomalies: 'true' })
        .expect(200);
      expect(only.body.hours.map((h: { deviceId: number; start: string }) => [h.deviceId, h.start])).toEqual([[meter, iso(MON + 4 * DAY + 9 * H)]]);
    });

    it('forecasts today at noon on Friday: 23.4 kWh measured + 12 expected hours of 1 kWh', async () => {
      const res = await t.http
        .get('/api/analytics/forecast')
        .query({ deviceId: meter, at: iso(MON + 4 * DAY + 12 * H) })
        .expect(200);
      // No day before Friday has four earlier weekdays: no residual, s = 0.
      expect(res.body.s).toBe(0);
      // Hours 0-11: eleven of 1 kWh and 12.4 at 09:00 = 23.4; hours 12-23 expected at the median of Mon-Thu, 1 kWh each.
      expect(res.body.today.actualKWh).toBeCloseTo(23.4, 9);
      expect(res.body.today.remainingKWh).toBeCloseTo(12, 9);
      expect(res.body.today.forecastKWh).toBeCloseTo(35.4, 9);
      expect(res.body.month.forecastKWh).toBeGreaterThan(res.body.today.forecastKWh);
      expect(res.body.today.forecastCost).toBeNull();
    });

    it('wants one of deviceId or clientId and a period', async () => {
      expect(
        (
          await t.http
            .get('/api/analytics/anomalies')
            .query({ from: iso(MON), to: iso(MON + DAY) })
            .expect(400)
        ).body.message,
      ).toMatch(/deviceId/);
      expect(
        (
          await t.http
            .get('/api/analytics/anomalies')
            .query({ deviceId: meter, from: iso(MON) })
            .expect(400)
        ).body.message,
      ).toMatch(/to/);
      expect(
        (
          await t.http
            .get('/api/analytics/anomalies')
            .query({ deviceId: meter, from: iso(MON), to: iso(MON + 90 * DAY) })
            .expect(400)
        ).body.message,
      ).toMatch(/62 days/);
    });
  });

  describe('voltage conformity', () => {
    let meter: number;
    const M10 = 600_000;
    beforeAll(async () => {
      meter = await device('Voltage meter');
      // One reading in each of 1,008 ten-minute windows: 40 at 195 V (precarious), 6 at 240 V (critical), the rest 220 V.
      await ingest(
        Array.from({ length: 1008 }, (_, k) => ({
          deviceId: meter,
          timestamp: MON + k * M10 + 60_000,
          metrics: { voltage: k < 40 ? 195 : k < 46 ? 240 : 220 },
        })),
      );
    });

    it('gives DRP = 40 / 1008 = 3.97 % and DRC = 6 / 1008 = 0.60 %, both above their limits', async () => {
      const res = await t.http
        .get('/api/quality/voltage')
        .query({ deviceId: meter, from: iso(MON), to: iso(MON + 7 * DAY - 1) })
        .expect(200);
      expect(res.body).toMatchObject({
        nominal: 220,
        adequate: [202, 231],
        precarious: [191, 233],
        drpm: 3,
        drcm: 0.5,
        totals: { adequate: 962, precarious: 40, critical: 6 },
      });
      expect(res.body.weeks).toHaveLength(1);
      const [week] = res.body.weeks;
      expect(week).toMatchObject({ readings: 1008, complete: true, nlp: 40, nlc: 6, drpPasses: false, drcPasses: false });
      expect(week.drp).toBeCloseTo((40 / 1008) * 100, 9);
      expect(week.drc).toBeCloseTo((6 / 1008) * 100, 9);
      expect(res.body.outside).toHaveLength(46);
      expect(res.body.outside[0]).toEqual({ start: iso(MON), phase: 'voltage', voltage: 195, band: 'precarious' });
    });

    it('refuses a nominal voltage without ranges (422) and a missing from (400)', async () => {
      expect(
        (
          await t.http
            .get('/api/quality/voltage')
            .query({ deviceId: meter, from: iso(MON), nominal: 230 })
            .expect(422)
        ).body.message,
      ).toMatch(/nominal 230 V has no PRODIST/);
      expect((await t.http.get('/api/quality/voltage').query({ deviceId: meter, nominal: 'high' }).expect(400)).body.message).toMatch(/nominal/);
      expect((await t.http.get('/api/quality/voltage').query({ deviceId: meter }).expect(400)).body.message).toMatch(/from/);
    });
  });

  describe('energy balance and expressions', () => {
    let main: number, a: number, b: number;
    beforeAll(async () => {
      [main, a, b] = [await device('Main'), await device('Sub A'), await device('Sub B')];
      await dailyCounter(main, MON, [240, 100]);
      await dailyCounter(a, MON, [100, 50]);
      await dailyCounter(b, MON, [80, 45]);
    });

    it('shows 60 of 240 kWh unmetered (25 %, flagged) and 5 of 100 (5 %, not flagged)', async () => {
      const res = await t.http
        .get('/api/analytics/balance')
        .query({ mainDeviceId: main, subDeviceIds: `${a},${b}`, from: iso(MON), to: iso(MON + 2 * DAY - 1) })
        .expect(200);
      expect(res.body.days).toHaveLength(2);
      const close = (got: Record<string, unknown>, want: Record<string, number | boolean>) =>
        Object.entries(want).forEach(([k, v]) => (typeof v === 'number' ? expect(got[k]).toBeCloseTo(v, 9) : expect(got[k]).toBe(v)));
      close(res.body.days[0], { mainKWh: 240, subKWh: 180, unmeteredKWh: 60, unmeteredPct: 25, flagged: true });
      close(res.body.days[1], { mainKWh: 100, subKWh: 95, unmeteredKWh: 5, unmeteredPct: 5, flagged: false });
      close(res.body.total, { mainKWh: 340, subKWh: 275, unmeteredKWh: 65, unmeteredPct: (65 / 340) * 100 });
      expect(
        (
          await t.http
            .get('/api/analytics/balance')
            .query({ mainDeviceId: main, from: iso(MON), to: iso(MON + DAY) })
            .expect(400)
        ).body.message,
      ).toMatch(/subDeviceIds/);
    });

    it("takes a site's main meter and its submeters", async () => {
      const siteId = (await t.http.get(`/api/devices/${main}`).expect(200)).body.siteId;
      const range = { from: iso(MON), to: iso(MON + DAY - 1) };
      const none = await t.http
        .get('/api/analytics/balance')
        .query({ siteId, ...range })
        .expect(422);
      expect(none.body.message).toMatch(/no main meter/);
      await t.http.patch(`/api/sites/${siteId}`).send({ mainDeviceId: main }).expect(200);
      for (const id of [a, b]) await t.http.patch(`/api/devices/${id}`).send({ submeter: true }).expect(200);
      const res = await t.http
        .get('/api/analytics/balance')
        .query({ siteId, ...range })
        .expect(200);
      expect(res.body.mainDeviceId).toBe(main);
      expect(res.body.subDeviceIds).toEqual([a, b]);
      expect(res.body.days[0].unmeteredKWh).toBeCloseTo(60, 9);
    });

    it('checks an expression: reads and a sample, or a 400 naming the position or the unknown input', async () => {
      const inputs = { main, a, b };
      const ok = await t.http.post('/api/analytics/expressions/check').send({ inputs, expression: 'main.power - (a.power + b.power)' }).expect(200);
      expect(ok.body).toEqual({ valid: true, reads: ['main.power', 'a.power', 'b.power'], sample: -1 });
      const cut = await t.http.post('/api/analytics/expressions/check').send({ inputs, expression: 'main.power - (a.power +' }).expect(400);
      expect(cut.body.message).toMatch(/expression does not parse.*at character 24/);
      const unknown = await t.http.post('/api/analytics/expressions/check').send({ inputs, expression: 'main.power - c.power' }).expect(400);
      expect(unknown.body.message).toMatch(/unknown input c/);
      const hostile = await t.http.post('/api/analytics/expressions/check').send({ inputs, expression: 'import({}, {})' }).expect(400);
      expect(hostile.body.message).toMatch(/calls import/);
    });
  });

  it("answers 404 for another client's devices, baselines and sites", async () => {
    const mine = await device('Mine');
    const saved = await t.http
      .post('/api/analytics/baselines')
      .send({ name: 'x', deviceId: mine, from: iso(MON), to: iso(MON + DAY), interval: 'day', drivers: [] });
    const other = await seedDevice(t.http, 'Other meter', 'Other client');
    const outsider = await t.userAgent('admin', other.clientId);
    const range = { from: iso(MON), to: iso(MON + DAY) };
    await outsider
      .post('/api/analytics/baseline')
      .send({ deviceId: mine, ...range, interval: 'day', drivers: [] })
      .expect(404);
    // Its own meter with a driver of another client's device: 404 for that device too.
    await outsider
      .post('/api/analytics/baseline')
      .send({ deviceId: other.deviceId, ...range, interval: 'day', drivers: [{ deviceId: mine, metric: 'production', transform: 'sum' }] })
      .expect(404);
    await outsider
      .get('/api/analytics/anomalies')
      .query({ deviceId: mine, ...range })
      .expect(404);
    await outsider
      .get('/api/analytics/anomalies')
      .query({ clientId, ...range })
      .expect(404);
    await outsider.get('/api/analytics/forecast').query({ deviceId: mine }).expect(404);
    await outsider
      .get('/api/quality/voltage')
      .query({ deviceId: mine, from: iso(MON) })
      .expect(404);
    await outsider
      .get('/api/analytics/balance')
      .query({ mainDeviceId: other.deviceId, subDeviceIds: String(mine), ...range })
      .expect(404);
    await outsider
      .post('/api/analytics/expressions/check')
      .send({ inputs: { main: mine }, expression: 'main.power' })
      .expect(404);
    // The baseline (saved or not: a one-day period fails with 422) is not listed nor readable.
    if (saved.status === 201) await outsider.get(`/api/analytics/baselines/${saved.body.id}`).expect(404);
    expect((await outsider.get('/api/analytics/baselines').expect(200)).body).toEqual([]);
    // Its own device answers.
    await outsider
      .get('/api/analytics/anomalies')
      .query({ deviceId: other.deviceId, ...range })
      .expect(200);
  });
});
