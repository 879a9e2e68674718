import { startTestApp, TestApp } from '../../testing/test-app';
import { TariffsService } from './tariffs.service';

/** The tarifa branca: ponta 17-20, intermediário 16-17 and 20-21 on weekdays, 0.50 / 0.80 / 1.20 R$/kWh, no taxes. */
const branca = {
  name: 'Branca (issue example)',
  modality: 'branca',
  currency: 'BRL',
  validFrom: '2026-01-01',
  energy: { foraPonta: 0.5, intermediario: 0.8, ponta: 1.2 },
  windows: [
    { posto: 'intermediario', days: 'weekdays', start: '16:00', end: '17:00' },
    { posto: 'ponta', days: 'weekdays', start: '17:00', end: '20:00' },
    { posto: 'intermediario', days: 'weekdays', start: '20:00', end: '21:00' },
  ],
  holidays: 'BR',
  taxes: { icms: 0, pis: 0, cofins: 0 },
};

const QUARTER = 900_000;
// São Paulo is UTC−3 all year: local midnight is 03:00 UTC.
const localMidnight = (date: string) => Date.parse(`${date}T03:00:00Z`);
const steadyDay = (date: string) => Array.from({ length: 96 }, (_, i) => ({ start: localMidnight(date) + i * QUARTER, kWh: 0.25 }));

describe('tariffs', () => {
  let t: TestApp;
  let clientId: number;
  beforeAll(async () => {
    t = await startTestApp();
    clientId = (await t.http.post('/api/clients').send({ name: 'Tarifas', timezone: 'America/Sao_Paulo' }).expect(201)).body.id;
  });
  afterAll(() => t.close());

  const fieldsOf = (res: { body: { errors: { field: string }[] } }) => [...new Set(res.body.errors.map((e) => e.field))];

  it('enters, lists, reads, edits and deletes versions of a tariff', async () => {
    const created = await t.http
      .post('/api/tariffs')
      .send({ clientId, ...branca })
      .expect(201);
    expect(created.body).toEqual({ id: expect.any(Number), clientId, siteId: null, ...branca, demand: { foraPonta: 0 }, createdAt: expect.any(String) });
    const next = await t.http
      .post('/api/tariffs')
      .send({ clientId, ...branca, validFrom: '2026-07-01', energy: { foraPonta: 0.55, intermediario: 0.85, ponta: 1.3 } })
      .expect(201);
    const listed = (await t.http.get('/api/tariffs').query({ clientId }).expect(200)).body;
    expect(listed.map((v: { validFrom: string }) => v.validFrom)).toEqual(['2026-01-01', '2026-07-01']);
    expect((await t.http.get(`/api/tariffs/${created.body.id}`).expect(200)).body).toEqual(created.body);

    const edited = await t.http
      .patch(`/api/tariffs/${next.body.id}`)
      .send({ name: 'Reajuste julho', taxes: { icms: 0.18, pis: 0.0165, cofins: 0.076 } })
      .expect(200);
    expect(edited.body).toMatchObject({
      name: 'Reajuste julho',
      validFrom: '2026-07-01',
      taxes: { icms: 0.18, pis: 0.0165, cofins: 0.076 },
      energy: { foraPonta: 0.55 },
    });
    // Two versions from one date would leave which applies to chance.
    const clash = await t.http.patch(`/api/tariffs/${next.body.id}`).send({ validFrom: '2026-01-01' }).expect(409);
    expect(clash.body.message).toMatch(/^validFrom 2026-01-01/);
    await t.http
      .post('/api/tariffs')
      .send({ clientId, ...branca })
      .expect(409);

    await t.http.delete(`/api/tariffs/${next.body.id}`).expect(204);
    await t.http.get(`/api/tariffs/${next.body.id}`).expect(404);
    await t.http.delete(`/api/tariffs/${created.body.id}`).expect(204);
  });

  it('refuses what cannot be priced, naming the field', async () => {
    const post = (change: Record<string, unknown>) =>
      t.http
        .post('/api/tariffs')
        .send({ clientId, ...branca, validFrom: '2030-01-01', ...change })
        .expect(400);
    const window = (start: string, end: string) => ({ windows: [{ posto: 'ponta', days: 'weekdays', start, end }] });
    expect(fieldsOf(await post(window('17:10', '20:00')))).toEqual(['windows[0].start']);
    expect(fieldsOf(await post(window('17:00', '25:00')))).toEqual(['windows[0].end']);
    expect(fieldsOf(await post(window('17:00', '24:15')))).toEqual(['windows[0].end']);
    expect(fieldsOf(await post(window('20:00', '17:00')))).toEqual(['windows[0].end']);
    expect(
      fieldsOf(
        await post({
          windows: [
            { posto: 'ponta', days: 'weekdays', start: '17:00', end: '20:00' },
            { posto: 'intermediario', days: 'weekdays', start: '19:00', end: '21:00' },
          ],
        }),
      ),
    ).toEqual(['windows[1]']);
    expect(fieldsOf(await post({ windows: [{ posto: 'shoulder', days: 'weekdays', start: '17:00', end: '20:00' }] }))).toEqual(['windows[0].posto']);
    expect(fieldsOf(await post({ energy: { foraPonta: -0.5, intermediario: 0.8, ponta: 1.2 } }))).toEqual(['energy.foraPonta']);
    expect(fieldsOf(await post({ demand: { foraPonta: -1 } }))).toEqual(['demand.foraPonta']);
    expect(fieldsOf(await post({ energy: { foraPonta: 0.5, ponta: 1.2 } }))).toEqual(['energy.intermediario']);
    expect(fieldsOf(await post({ modality: 'horo-sazonal' }))).toEqual(['modality']);
    expect(fieldsOf(await post({ modality: 'verde' }))).toEqual(['windows[0].posto', 'windows[2].posto']);
    expect(fieldsOf(await post({ taxes: { icms: 0.5, pis: 0.3, cofins: 0.2 } }))).toEqual(['taxes']);
    expect(fieldsOf(await post({ taxes: { icms: 1.5, pis: 0, cofins: 0 } }))).toEqual(['taxes.icms']);
    expect(fieldsOf(await post({ holidays: 'US' }))).toEqual(['holidays']);
    expect(fieldsOf(await post({ holidays: ['2026-12-25', '2026-13-01'] }))).toEqual(['holidays']);
    expect(fieldsOf(await post({ validFrom: '2026-02-30' }))).toEqual(['validFrom']);
    expect(fieldsOf(await post({ currency: 'USD' }))).toEqual(['currency']);
    const [site] = (await t.http.get('/api/sites').query({ clientId }).expect(200)).body;
    expect(fieldsOf(await post({ siteId: site.id }))).toEqual(['siteId']);
    expect(
      fieldsOf(
        await t.http
          .post('/api/tariffs')
          .send({ ...branca })
          .expect(400),
      ),
    ).toEqual(['clientId']);
    expect(fieldsOf(await t.http.get('/api/tariffs').query({ clientId, siteId: site.id }).expect(400))).toEqual(['siteId']);
    const stored = (
      await t.http
        .post('/api/tariffs')
        .send({ clientId, ...branca, validFrom: '2031-01-01' })
        .expect(201)
    ).body;
    expect(fieldsOf(await t.http.patch(`/api/tariffs/${stored.id}`).send({ energy: null }).expect(400))).toEqual(['energy']);
    expect(fieldsOf(await t.http.patch(`/api/tariffs/${stored.id}`).send({ modality: 'convencional' }).expect(400))).toEqual([
      'windows[0].posto',
      'windows[1].posto',
      'windows[2].posto',
    ]);
    await t.http.delete(`/api/tariffs/${stored.id}`).expect(204);
  });

  it("prices through calculatorFor: a site's tariff overrides its client's from its validFrom, with the month's bandeira", async () => {
    const owner = (await t.http.post('/api/clients').send({ name: 'Preços', timezone: 'America/Sao_Paulo' }).expect(201)).body.id;
    const [site] = (await t.http.get('/api/sites').query({ clientId: owner }).expect(200)).body;
    const tariffs = t.app.get(TariffsService);
    expect(await tariffs.calculatorFor({ clientId: owner }, localMidnight('2026-11-25'), localMidnight('2026-11-27'))).toBeNull();

    await t.http
      .post('/api/tariffs')
      .send({ clientId: owner, ...branca })
      .expect(201);
    // From Thursday 26 November the site has its own tariff: convencional at 0.70.
    await t.http
      .post('/api/tariffs')
      .send({ siteId: site.id, name: 'B3 convencional', modality: 'convencional', currency: 'BRL', validFrom: '2026-11-26', energy: { foraPonta: 0.7 } })
      .expect(201);
    await t.http.put('/api/bandeiras/2026-11').send({ flag: 'amarela', adderPer100kWh: 1.885 }).expect(200);

    const calc = await tariffs.calculatorFor({ siteId: site.id }, localMidnight('2026-11-25'), localMidnight('2026-11-27') - 1);
    expect(calc?.timeZone).toBe('America/Sao_Paulo');
    // Wednesday 25, the client's branca with amarela: 14.70 + 24 × 0.01885 = 15.1524
    expect(calc?.price(steadyDay('2026-11-25')).cost).toBeCloseTo(15.1524, 10);
    // Thursday 26, the site's convencional with amarela: 24 × (0.70 + 0.01885) = 17.2524
    expect(calc?.price(steadyDay('2026-11-26')).cost).toBeCloseTo(17.2524, 10);
    // The client itself stays on branca.
    const forClient = await tariffs.calculatorFor({ clientId: owner }, localMidnight('2026-11-26'), localMidnight('2026-11-27') - 1);
    expect(forClient?.price(steadyDay('2026-11-26')).cost).toBeCloseTo(15.1524, 10);
    await t.http.delete('/api/bandeiras/2026-11').expect(204);
  });

  it("lets a client's viewer read, its admin write its own client's and sites' tariffs, and answers 404 for another client's", async () => {
    const a = (await t.http.post('/api/clients').send({ name: 'Tariff A' }).expect(201)).body.id;
    const b = (await t.http.post('/api/clients').send({ name: 'Tariff B' }).expect(201)).body.id;
    const [siteOfA] = (await t.http.get('/api/sites').query({ clientId: a }).expect(200)).body;
    const [siteOfB] = (await t.http.get('/api/sites').query({ clientId: b }).expect(200)).body;
    const ofB = (
      await t.http
        .post('/api/tariffs')
        .send({ clientId: b, ...branca })
        .expect(201)
    ).body;
    const ofSiteOfB = (
      await t.http
        .post('/api/tariffs')
        .send({ siteId: siteOfB.id, ...branca })
        .expect(201)
    ).body;
    const viewerOfA = await t.userAgent('viewer', a);
    const adminOfA = await t.userAgent('admin', a);

    const ofA = (
      await adminOfA
        .post('/api/tariffs')
        .send({ clientId: a, ...branca })
        .expect(201)
    ).body;
    const ofSiteOfA = (
      await adminOfA
        .post('/api/tariffs')
        .send({ siteId: siteOfA.id, ...branca })
        .expect(201)
    ).body;
    await adminOfA.patch(`/api/tariffs/${ofSiteOfA.id}`).send({ name: 'Own site' }).expect(200);
    expect((await viewerOfA.get('/api/tariffs').expect(200)).body.map((v: { id: number }) => v.id)).toEqual([ofA.id, ofSiteOfA.id]);
    expect((await viewerOfA.get('/api/tariffs').query({ siteId: siteOfA.id }).expect(200)).body.map((v: { id: number }) => v.id)).toEqual([ofSiteOfA.id]);
    await viewerOfA.get(`/api/tariffs/${ofA.id}`).expect(200);
    await viewerOfA
      .post('/api/tariffs')
      .send({ clientId: a, ...branca, validFrom: '2027-01-01' })
      .expect(403);
    await viewerOfA.patch(`/api/tariffs/${ofA.id}`).send({ name: 'x' }).expect(403);
    await viewerOfA.delete(`/api/tariffs/${ofA.id}`).expect(403);

    for (const id of [ofB.id, ofSiteOfB.id]) {
      await adminOfA.get(`/api/tariffs/${id}`).expect(404);
      await adminOfA.patch(`/api/tariffs/${id}`).send({ name: 'x' }).expect(404);
      await adminOfA.delete(`/api/tariffs/${id}`).expect(404);
    }
    await adminOfA
      .post('/api/tariffs')
      .send({ clientId: b, ...branca, validFrom: '2027-01-01' })
      .expect(404);
    await adminOfA
      .post('/api/tariffs')
      .send({ siteId: siteOfB.id, ...branca, validFrom: '2027-01-01' })
      .expect(404);
    expect((await adminOfA.get('/api/tariffs').query({ clientId: b }).expect(200)).body).toEqual([]);
    expect((await adminOfA.get('/api/tariffs').query({ siteId: siteOfB.id }).expect(200)).body).toEqual([]);
    // Staff reach every client's.
    await t.http.patch(`/api/tariffs/${ofSiteOfB.id}`).send({ name: 'Staff edit' }).expect(200);
    await adminOfA.delete(`/api/tariffs/${ofA.id}`).expect(204);
  });
});

describe('bandeiras', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('sets a month, lists a range with verde where none is set, and deletes it', async () => {
    expect((await t.http.put('/api/bandeiras/2026-11').send({ flag: 'amarela', adderPer100kWh: 1.885 }).expect(200)).body).toEqual({
      month: '2026-11',
      flag: 'amarela',
      adderPer100kWh: 1.885,
      set: true,
    });
    await t.http.put('/api/bandeiras/2027-01').send({ flag: 'vermelha1', adderPer100kWh: 4.463 }).expect(200);
    // Set again: replaced.
    await t.http.put('/api/bandeiras/2027-01').send({ flag: 'vermelha2', adderPer100kWh: 7.877 }).expect(200);
    expect((await t.http.get('/api/bandeiras').query({ from: '2026-10', to: '2027-01' }).expect(200)).body).toEqual([
      { month: '2026-10', flag: 'verde', adderPer100kWh: 0, set: false },
      { month: '2026-11', flag: 'amarela', adderPer100kWh: 1.885, set: true },
      { month: '2026-12', flag: 'verde', adderPer100kWh: 0, set: false },
      { month: '2027-01', flag: 'vermelha2', adderPer100kWh: 7.877, set: true },
    ]);
    await t.http.delete('/api/bandeiras/2027-01').expect(204);
    await t.http.delete('/api/bandeiras/2027-01').expect(404);
    expect((await t.http.get('/api/bandeiras').query({ from: '2027-01', to: '2027-01' }).expect(200)).body[0]).toMatchObject({ flag: 'verde', set: false });
  });

  it('refuses a bad month, flag or adder, naming it', async () => {
    const fieldsOf = (res: { body: { errors: { field: string }[] } }) => [...new Set(res.body.errors.map((e) => e.field))];
    expect(fieldsOf(await t.http.put('/api/bandeiras/2026-13').send({ flag: 'verde', adderPer100kWh: 0 }).expect(400))).toEqual(['month']);
    expect(fieldsOf(await t.http.put('/api/bandeiras/november').send({ flag: 'verde', adderPer100kWh: 0 }).expect(400))).toEqual(['month']);
    expect(fieldsOf(await t.http.delete('/api/bandeiras/2026-1').expect(400))).toEqual(['month']);
    expect(fieldsOf(await t.http.put('/api/bandeiras/2026-11').send({ flag: 'roxa', adderPer100kWh: 0 }).expect(400))).toEqual(['flag']);
    expect(fieldsOf(await t.http.put('/api/bandeiras/2026-11').send({ flag: 'amarela', adderPer100kWh: -1 }).expect(400))).toEqual(['adderPer100kWh']);
    expect(fieldsOf(await t.http.get('/api/bandeiras').query({ from: '2026-00', to: '2026-05' }).expect(400))).toEqual(['from']);
    expect(fieldsOf(await t.http.get('/api/bandeiras').query({ from: '2026-06', to: '2026-05' }).expect(400))).toEqual(['to']);
    expect(fieldsOf(await t.http.get('/api/bandeiras').query({ from: '2000-01', to: '2026-05' }).expect(400))).toEqual(['to']);
  });

  it('is read by any user and written by platform staff only', async () => {
    const clientId = (await t.http.post('/api/clients').send({ name: 'Band' }).expect(201)).body.id;
    const viewerOfClient = await t.userAgent('viewer', clientId);
    const adminOfClient = await t.userAgent('admin', clientId);
    const staffViewer = await t.userAgent('viewer', null);
    await viewerOfClient.get('/api/bandeiras').query({ from: '2026-01', to: '2026-12' }).expect(200);
    await adminOfClient.put('/api/bandeiras/2026-11').send({ flag: 'amarela', adderPer100kWh: 1.885 }).expect(403);
    await staffViewer.put('/api/bandeiras/2026-11').send({ flag: 'amarela', adderPer100kWh: 1.885 }).expect(403);
    await t.http.put('/api/bandeiras/2026-11').send({ flag: 'amarela', adderPer100kWh: 1.885 }).expect(200);
    await adminOfClient.delete('/api/bandeiras/2026-11').expect(403);
    await t.http.delete('/api/bandeiras/2026-11').expect(204);
  });
});
