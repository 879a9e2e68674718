import { startTestApp, TestApp } from '../../testing/test-app';

const QUARTER = 15 * 60_000;
const iso = (ms: number) => new Date(ms).toISOString();

/**
 * The energy API priced by the tariffs of sites and clients (issue 13's worked example through ingest),
 * sites' totals from their main meter, and demand against the contracted demand.
 */
describe('energy with sites and tariffs', () => {
  let t: TestApp;
  const ingest = (readings: unknown[]) => t.http.post('/api/ingest').send({ readings }).expect(200);
  const energy = (query: Record<string, unknown>) => t.http.get('/api/energy').query(query).expect(200);

  beforeAll(async () => {
    t = await startTestApp({ RETENTION_RAW_DAYS: '36500', RETENTION_1M_DAYS: '36500' });
  });
  afterAll(() => t.close());

  it('prices the worked example: 1 kWh an hour under tarifa branca, R$ 14.70 on a Wednesday, R$ 12.00 on a Saturday, R$ 15.1524 with amarela', async () => {
    const client = await t.http.post('/api/clients').send({ name: 'Padaria Branca' }).expect(201);
    const clientId = client.body.id;
    await t.http.patch(`/api/clients/${clientId}`).send({ timezone: 'America/Sao_Paulo' }).expect(200);
    const device = await t.http.post('/api/devices').send({ clientId, name: 'Quadro geral', deviceType: 'api' }).expect(201);
    await t.http
      .post('/api/tariffs')
      .send({
        clientId,
        name: 'Branca 2026',
        modality: 'branca',
        currency: 'BRL',
        validFrom: '2026-11-01',
        energy: { foraPonta: 0.5, intermediario: 0.8, ponta: 1.2 },
        windows: [
          { posto: 'intermediario', days: 'weekdays', start: '16:00', end: '17:00' },
          { posto: 'ponta', days: 'weekdays', start: '17:00', end: '20:00' },
          { posto: 'intermediario', days: 'weekdays', start: '20:00', end: '21:00' },
        ],
        holidays: 'BR',
      })
      .expect(201);
    // Wednesday Nov 25 and Saturday Nov 28, 2026, from local midnight (03:00 UTC): 250 Wh every 15 minutes.
    const wednesday = Date.UTC(2026, 10, 25, 3);
    const saturday = Date.UTC(2026, 10, 28, 3);
    for (const day of [wednesday, saturday]) {
      await ingest(Array.from({ length: 97 }, (_, i) => ({ deviceId: device.body.id, timestamp: day + i * QUARTER, metrics: { energy: 10_000 + i * 250 } })));
    }
    const dayOf = async (start: number) => (await energy({ clientId, from: iso(start), to: iso(start + 86_400_000 - 1), interval: 'day' })).body;
    const wed = await dayOf(wednesday);
    expect(wed.timezone).toBe('America/Sao_Paulo');
    expect(wed.intervals).toHaveLength(1);
    expect(wed.intervals[0].start).toBe(iso(wednesday));
    // 24 kWh: 19 fora de ponta (0-16 h and 21-24 h), 2 intermediário, 3 ponta: 19 × 0.50 + 2 × 0.80 + 3 × 1.20 = 9.50 + 1.60 + 3.60 = 14.70.
    expect(wed.total.kWh).toBeCloseTo(24, 9);
    expect(wed.total.byPosto.foraPonta.kWh).toBeCloseTo(19, 9);
    expect(wed.total.byPosto.intermediario.kWh).toBeCloseTo(2, 9);
    expect(wed.total.byPosto.ponta.kWh).toBeCloseTo(3, 9);
    expect(wed.total.cost).toBeCloseTo(14.7, 9);
    expect(wed.intervals[0].cost).toBeCloseTo(14.7, 9);
    expect(wed.total.unpricedKWh).toBe(0);
    // Saturday: all fora de ponta, 24 × 0.50.
    expect((await dayOf(saturday)).total.cost).toBeCloseTo(12, 9);
    // Hours of the Wednesday: 17:00-18:00 local (20:00 UTC) is ponta, 1 kWh at R$ 1.20.
    const hours = (await energy({ clientId, from: iso(wednesday), to: iso(wednesday + 86_400_000 - 1), interval: 'hour' })).body;
    expect(hours.intervals).toHaveLength(24);
    expect(hours.intervals[17].start).toBe('2026-11-25T20:00:00.000Z');
    expect(hours.intervals[17].cost).toBeCloseTo(1.2, 9);
    expect(hours.intervals[17].byPosto.ponta.kWh).toBeCloseTo(1, 9);
    // Bandeira amarela for November: R$ 1.885 per 100 kWh, 24 × 0.01885 = 0.4524 more.
    await t.http.put('/api/bandeiras/2026-11').send({ flag: 'amarela', adderPer100kWh: 1.885 }).expect(200);
    expect((await dayOf(wednesday)).total.cost).toBeCloseTo(15.1524, 9);
    expect((await dayOf(saturday)).total.cost).toBeCloseTo(12.4524, 9);
    await t.http.delete('/api/bandeiras/2026-11').expect((r) => expect([200, 204]).toContain(r.status));
  });

  it("sums a site from its main meter, a client from its sites, prices each site by its own tariff and checks demand against the site's contract", async () => {
    const client = await t.http.post('/api/clients').send({ name: 'Fábrica Dois Sites' }).expect(201);
    const clientId = client.body.id;
    const [siteA] = (await t.http.get('/api/sites').query({ clientId }).expect(200)).body;
    const siteB = (
      await t.http
        .post('/api/sites')
        .send({ clientId, name: 'Galpão B', contractedKW: { foraPonta: 0.7 } })
        .expect(201)
    ).body;
    const main = (await t.http.post('/api/devices').send({ clientId, name: 'Main', deviceType: 'api' }).expect(201)).body;
    const sub = (await t.http.post('/api/devices').send({ clientId, name: 'Sub', deviceType: 'api', submeter: true }).expect(201)).body;
    const other = (await t.http.post('/api/devices').send({ clientId, name: 'B meter', deviceType: 'api', siteId: siteB.id }).expect(201)).body;
    await t.http.patch(`/api/sites/${siteA.id}`).send({ mainDeviceId: main.id }).expect(200);
    // Site B: verde, fora de ponta R$ 1.00/kWh, demand R$ 30/kW; ponta 18:00-21:00 on weekdays.
    await t.http
      .post('/api/tariffs')
      .send({
        siteId: siteB.id,
        name: 'Verde B',
        modality: 'verde',
        currency: 'BRL',
        validFrom: '2026-11-01',
        energy: { foraPonta: 1, ponta: 2 },
        demand: { foraPonta: 30 },
        windows: [{ posto: 'ponta', days: 'weekdays', start: '18:00', end: '21:00' }],
      })
      .expect(201);
    // Monday Nov 2, 2026, 00:00-00:15 UTC (the client's zone is UTC): main 1,000 Wh, sub 400 Wh, B 200 Wh.
    const t0 = Date.UTC(2026, 10, 2);
    await ingest([
      { deviceId: main.id, timestamp: t0, metrics: { energy: 5000 } },
      { deviceId: main.id, timestamp: t0 + QUARTER, metrics: { energy: 6000 } },
      { deviceId: sub.id, timestamp: t0, metrics: { energy: 100 } },
      { deviceId: sub.id, timestamp: t0 + QUARTER, metrics: { energy: 500 } },
      { deviceId: other.id, timestamp: t0, metrics: { energy: 0 } },
      { deviceId: other.id, timestamp: t0 + QUARTER, metrics: { energy: 200 } },
    ]);
    const range = { from: iso(t0), to: iso(t0 + QUARTER - 1), interval: '15m' };
    // Site A is its main meter (the submeter is inside it): 1.0 kWh, no tariff, so no cost.
    const a = (await energy({ siteId: siteA.id, ...range })).body;
    expect(a.total.kWh).toBeCloseTo(1, 9);
    expect(a.total.cost).toBeUndefined();
    const b = (await energy({ siteId: siteB.id, ...range })).body;
    expect(b.total.kWh).toBeCloseTo(0.2, 9);
    expect(b.total.cost).toBeCloseTo(0.2, 9); // 0.2 kWh × R$ 1.00 fora de ponta
    // The client: A's 1.0 + B's 0.2 = 1.2 kWh; only B's is priced, and A's 1.0 kWh is said to be unpriced.
    const whole = (await energy({ clientId, ...range })).body;
    expect(whole.total.kWh).toBeCloseTo(1.2, 9);
    expect(whole.total.cost).toBeCloseTo(0.2, 9);
    expect(whole.total.unpricedKWh).toBeCloseTo(1, 9);
    // A device on its own is just that device, the submeter too.
    expect((await energy({ deviceId: sub.id, ...range })).body.total.kWh).toBeCloseTo(0.4, 9);

    // Demand of B: 0.2 kWh × 4 = 0.8 kW, above 1.05 × 0.7 = 0.735 kW: an overrun. Verde bills max(0.8, 0.7) = 0.8 kW × R$ 30 = 24,
    // and the excess over the contract, 0.1 kW, at twice the rate: 0.1 × 60 = 6; R$ 30 in all.
    const demand = (
      await t.http
        .get('/api/energy/demand')
        .query({ siteId: siteB.id, from: iso(t0), to: iso(t0 + QUARTER - 1) })
        .expect(200)
    ).body;
    expect(demand.points).toEqual([{ start: iso(t0), kW: 0.8 }]);
    expect(demand.contractedKW).toEqual({ foraPonta: 0.7, ponta: null });
    expect(demand.peakByPosto).toEqual({ foraPonta: { kW: 0.8, at: iso(t0) }, ponta: null });
    expect(demand.overrun).toBe(true);
    expect(demand.charge.cost).toBeCloseTo(30, 9);
    // Site A has no contract: no overrun to speak of.
    const demandA = (
      await t.http
        .get('/api/energy/demand')
        .query({ siteId: siteA.id, from: iso(t0), to: iso(t0 + QUARTER - 1) })
        .expect(200)
    ).body;
    expect([demandA.contractedKW, demandA.overrun, demandA.peak.kW]).toEqual([null, false, 4]);
  });

  it('counts import from importEnergy where a meter has it (an Eastron SDM’s energy is import + export)', async () => {
    const client = await t.http.post('/api/clients').send({ name: 'Solar' }).expect(201);
    const device = (await t.http.post('/api/devices').send({ clientId: client.body.id, name: 'SDM630', deviceType: 'api' }).expect(201)).body;
    const t0 = Date.UTC(2026, 10, 3);
    // Import 300 Wh, export 100 Wh; the total counter rose by both, 400 Wh.
    await ingest([
      { deviceId: device.id, timestamp: t0, metrics: { importEnergy: 1000, exportEnergy: 500, energy: 1500 } },
      { deviceId: device.id, timestamp: t0 + QUARTER, metrics: { importEnergy: 1300, exportEnergy: 600, energy: 1900 } },
    ]);
    const res = (await energy({ deviceId: device.id, from: iso(t0), to: iso(t0 + QUARTER - 1), interval: '15m' })).body;
    expect(res.total.kWh).toBeCloseTo(0.3, 9);
    expect(res.total.exportKWh).toBeCloseTo(0.1, 9);
  });

  it('shows the excess reactive energy of hours below a power factor of 0.92, and charges it where the tariff gives a rate', async () => {
    const client = await t.http.post('/api/clients').send({ name: 'Serraria' }).expect(201);
    const clientId = client.body.id;
    const device = (await t.http.post('/api/devices').send({ clientId, name: 'Motores', deviceType: 'api' }).expect(201)).body;
    await t.http
      .post('/api/tariffs')
      .send({
        clientId,
        name: 'Convencional',
        modality: 'convencional',
        currency: 'BRL',
        validFrom: '2026-11-01',
        energy: { foraPonta: 0.5, reactiveExcess: 0.4 },
      })
      .expect(201);
    // Tuesday Nov 3, 2026, 10:00-11:00 UTC: 10 kWh at 8 kW and 6 kvar (PF 0.8); 11:00-12:00: 10 kWh at 9.6 kW and 2.8 kvar (PF 0.96).
    const t0 = Date.UTC(2026, 10, 3, 10);
    await ingest(
      Array.from({ length: 9 }, (_, i) => ({
        deviceId: device.id,
        timestamp: t0 + i * QUARTER,
        metrics: i < 4 ? { energy: i * 2500, power: 8000, reactivePower: 6000 } : { energy: i * 2500, power: 9600, reactivePower: 2800 },
      })),
    );
    const hours = (await energy({ clientId, from: iso(t0), to: iso(t0 + 2 * 3600_000 - 1), interval: 'hour' })).body;
    // The first hour: 10 × (0.92 / 0.8 − 1) = 1.5 kWh, at R$ 0.40: R$ 0.60; the second is above 0.92: none.
    // (The readings from 11:00 on are the second hour's: its means are 9,600 W and 2,800 var, PF 9,600 / 10,000 = 0.96.)
    expect(hours.intervals.map((i: { reactiveExcessKWh: number }) => i.reactiveExcessKWh)).toEqual([expect.closeTo(1.5, 9), 0]);
    expect(hours.intervals[0].reactiveExcessCost).toBeCloseTo(0.6, 9);
    expect(hours.total.reactiveExcessKWh).toBeCloseTo(1.5, 9);
    expect(hours.total.reactiveExcessCost).toBeCloseTo(0.6, 9);
    // The energy's own cost is apart: 20 kWh × R$ 0.50.
    expect(hours.total.cost).toBeCloseTo(10, 9);
    // In 15-minute intervals it is not judged (ANEEL judges it hour by hour), and a meter without power factor has none.
    expect((await energy({ clientId, from: iso(t0), to: iso(t0 + 3600_000 - 1), interval: '15m' })).body.total.reactiveExcessKWh).toBeUndefined();
  });

  it("answers 404 for another client's site and 400 when two scopes are given", async () => {
    const mine = await t.http.post('/api/clients').send({ name: 'Mine' }).expect(201);
    const theirs = await t.http.post('/api/clients').send({ name: 'Theirs' }).expect(201);
    const [theirSite] = (await t.http.get('/api/sites').query({ clientId: theirs.body.id }).expect(200)).body;
    const outsider = await t.userAgent('viewer', mine.body.id);
    await outsider.get('/api/energy').query({ siteId: theirSite.id }).expect(404);
    await outsider.get('/api/energy/demand').query({ siteId: theirSite.id }).expect(404);
    const both = await t.http.get('/api/energy').query({ siteId: theirSite.id, clientId: theirs.body.id }).expect(400);
    expect(both.body.message).toMatch(/deviceId, siteId or clientId/);
  });
});
