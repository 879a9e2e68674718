import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { createPgDatabase, startTestApp, TEST_SECRETS_KEY, TestApp, usesPostgres } from '../../testing/test-app';
import { loadConfig } from '../config/app-config';
import { dataSourceOptions } from '../database/database.module';
import { MIGRATIONS } from '../database/migrations';
import { SitesTariffs1764270000001 } from '../database/migrations/1764270000001-sites-tariffs';
import { SitesService } from './sites.service';

describe('sites', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  const newClient = async (name: string) => (await t.http.post('/api/clients').send({ name }).expect(201)).body.id as number;
  const newDevice = async (clientId: number, extra: Record<string, unknown> = {}) =>
    (
      await t.http
        .post('/api/devices')
        .send({ clientId, name: 'Meter', deviceType: 'api', ...extra })
        .expect(201)
    ).body as { id: number; siteId: number | null; submeter: boolean };

  it('gives a new client a first site named after it, where its new devices go', async () => {
    const clientId = await newClient('Fazenda Boa Vista');
    const sites = (await t.http.get('/api/sites').query({ clientId }).expect(200)).body;
    expect(sites).toEqual([
      {
        id: expect.any(Number),
        clientId,
        name: 'Fazenda Boa Vista',
        address: null,
        timezone: null,
        contractedKW: { foraPonta: null, ponta: null },
        readingDay: null,
        mainDeviceId: null,
        createdAt: expect.any(String),
      },
    ]);
    const device = await newDevice(clientId);
    expect(device).toMatchObject({ siteId: sites[0].id, submeter: false });
  });

  it('creates, reads and edits a site; devices are put in it by siteId, and a site of another client is refused naming siteId', async () => {
    const clientId = await newClient('Indústria Alfa');
    const other = await newClient('Indústria Beta');
    const [first] = (await t.http.get('/api/sites').query({ clientId }).expect(200)).body;
    const created = await t.http
      .post('/api/sites')
      .send({ clientId, name: 'Galpão 2', address: 'Rua A, 10', timezone: 'America/Manaus', contractedKW: { foraPonta: 300, ponta: 120 }, readingDay: 12 })
      .expect(201);
    expect(created.body).toMatchObject({
      clientId,
      name: 'Galpão 2',
      address: 'Rua A, 10',
      timezone: 'America/Manaus',
      contractedKW: { foraPonta: 300, ponta: 120 },
      readingDay: 12,
      mainDeviceId: null,
    });
    const siteId = created.body.id as number;
    expect((await t.http.get(`/api/sites/${siteId}`).expect(200)).body).toEqual(created.body);

    const sub = await newDevice(clientId, { siteId, submeter: true });
    expect(sub).toMatchObject({ siteId, submeter: true });
    const [otherSite] = (await t.http.get('/api/sites').query({ clientId: other }).expect(200)).body;
    const refused = await t.http.post('/api/devices').send({ clientId, name: 'x', deviceType: 'api', siteId: otherSite.id }).expect(400);
    expect(refused.body.errors).toEqual([{ field: 'siteId', message: `site ${otherSite.id} is not a site of client ${clientId}` }]);

    // Moved between the client's sites, and to another client (to its first site, unless a siteId says otherwise).
    expect((await t.http.patch(`/api/devices/${sub.id}`).send({ siteId: first.id, submeter: false }).expect(200)).body).toMatchObject({
      siteId: first.id,
      submeter: false,
    });
    expect((await t.http.patch(`/api/devices/${sub.id}`).send({ siteId: otherSite.id }).expect(400)).body.errors[0].field).toBe('siteId');
    expect((await t.http.patch(`/api/devices/${sub.id}`).send({ clientId: other }).expect(200)).body).toMatchObject({ clientId: other, siteId: otherSite.id });

    const edited = await t.http
      .patch(`/api/sites/${siteId}`)
      .send({ name: 'Galpão 2 (novo)', timezone: null, contractedKW: { ponta: null }, readingDay: null })
      .expect(200);
    // contractedKW.foraPonta was left out: it stays.
    expect(edited.body).toMatchObject({ name: 'Galpão 2 (novo)', timezone: null, contractedKW: { foraPonta: 300, ponta: null }, readingDay: null });
  });

  it('refuses bad sites, naming the field', async () => {
    const clientId = await newClient('Validação');
    // The fields named (a field may break several rules).
    const fieldsOf = (errors: { field: string }[]) => [...new Set(errors.map((e) => e.field))];
    const field = async (body: Record<string, unknown>) =>
      fieldsOf(
        (
          await t.http
            .post('/api/sites')
            .send({ clientId, name: 'S', ...body })
            .expect(400)
        ).body.errors,
      );
    expect(await field({ readingDay: 32 })).toEqual(['readingDay']);
    expect(await field({ readingDay: 0 })).toEqual(['readingDay']);
    expect(await field({ timezone: 'Mars/Olympus' })).toEqual(['timezone']);
    expect(await field({ contractedKW: { foraPonta: -1 } })).toEqual(['contractedKW.foraPonta']);
    expect(await field({ name: '' })).toEqual(['name']);
    expect(fieldsOf((await t.http.post('/api/sites').send({ name: 'S' }).expect(400)).body.errors)).toEqual(['clientId']);
    const [site] = (await t.http.get('/api/sites').query({ clientId }).expect(200)).body;
    expect((await t.http.patch(`/api/sites/${site.id}`).send({ name: null }).expect(400)).body.errors[0].field).toBe('name');
    expect((await t.http.patch(`/api/sites/${site.id}`).send({ clientId: 1 }).expect(400)).body.errors[0]).toEqual({
      field: 'clientId',
      message: 'is not a known field',
    });
  });

  it("sets a main meter only among the site's own devices, and clears it when the device leaves", async () => {
    const clientId = await newClient('Medição');
    const [first] = (await t.http.get('/api/sites').query({ clientId }).expect(200)).body;
    const second = (await t.http.post('/api/sites').send({ clientId, name: 'Second' }).expect(201)).body;
    const main = await newDevice(clientId);
    const elsewhere = await newDevice(clientId, { siteId: second.id });
    const refused = await t.http.patch(`/api/sites/${first.id}`).send({ mainDeviceId: elsewhere.id }).expect(400);
    expect(refused.body.errors[0].field).toBe('mainDeviceId');
    expect((await t.http.patch(`/api/sites/${first.id}`).send({ mainDeviceId: 999999 }).expect(400)).body.errors[0].field).toBe('mainDeviceId');
    expect((await t.http.patch(`/api/sites/${first.id}`).send({ mainDeviceId: main.id }).expect(200)).body.mainDeviceId).toBe(main.id);
    await t.http.patch(`/api/devices/${main.id}`).send({ siteId: second.id }).expect(200);
    expect((await t.http.get(`/api/sites/${first.id}`).expect(200)).body.mainDeviceId).toBeNull();
    await t.http.patch(`/api/sites/${second.id}`).send({ mainDeviceId: main.id }).expect(200);
    await t.http.delete(`/api/devices/${main.id}`).expect(204);
    expect((await t.http.get(`/api/sites/${second.id}`).expect(200)).body.mainDeviceId).toBeNull();
  });

  it("counts a site's total from its main meter, else from its active devices that are not submeters", async () => {
    const clientId = await newClient('Totais');
    const [site] = (await t.http.get('/api/sites').query({ clientId }).expect(200)).body;
    const a = await newDevice(clientId);
    const b = await newDevice(clientId);
    await newDevice(clientId, { submeter: true });
    await newDevice(clientId, { active: false });
    const sites = t.app.get(SitesService);
    expect((await sites.devicesForTotal(site.id)).map((d) => d.id)).toEqual([a.id, b.id]);
    await t.http.patch(`/api/sites/${site.id}`).send({ mainDeviceId: b.id }).expect(200);
    expect((await sites.devicesForTotal(site.id)).map((d) => d.id)).toEqual([b.id]);
  });

  it('deletes an empty site with its tariffs, and refuses (409) one that holds devices', async () => {
    const clientId = await newClient('Apagar');
    const [first] = (await t.http.get('/api/sites').query({ clientId }).expect(200)).body;
    await newDevice(clientId);
    const res = await t.http.delete(`/api/sites/${first.id}`).expect(409);
    expect(res.body.message).toMatch(/still holds 1 device/);
    const empty = (await t.http.post('/api/sites').send({ clientId, name: 'Empty' }).expect(201)).body;
    const tariff = await t.http
      .post('/api/tariffs')
      .send({ siteId: empty.id, name: 'B1', modality: 'convencional', currency: 'BRL', validFrom: '2026-01-01', energy: { foraPonta: 0.7 } })
      .expect(201);
    await t.http.delete(`/api/sites/${empty.id}`).expect(204);
    await t.http.get(`/api/sites/${empty.id}`).expect(404);
    await t.http.get(`/api/tariffs/${tariff.body.id}`).expect(404);
  });

  it('deletes a client without devices together with its sites', async () => {
    const clientId = await newClient('Temporário');
    await t.http.post('/api/sites').send({ clientId, name: 'Another' }).expect(201);
    await t.http
      .post('/api/tariffs')
      .send({ clientId, name: 'B1', modality: 'convencional', currency: 'BRL', validFrom: '2026-01-01', energy: { foraPonta: 0.7 } })
      .expect(201);
    await t.http.delete(`/api/clients/${clientId}`).expect(204);
    expect((await t.http.get('/api/sites').query({ clientId }).expect(200)).body).toEqual([]);
  });

  it("lets a client's viewer read, its admin write its own, and answers 404 for another client's sites", async () => {
    const a = await newClient('Tenant A');
    const b = await newClient('Tenant B');
    const [siteOfB] = (await t.http.get('/api/sites').query({ clientId: b }).expect(200)).body;
    const viewerOfA = await t.userAgent('viewer', a);
    const adminOfA = await t.userAgent('admin', a);

    const [siteOfA] = (await viewerOfA.get('/api/sites').expect(200)).body;
    expect(siteOfA.clientId).toBe(a);
    await viewerOfA.get(`/api/sites/${siteOfA.id}`).expect(200);
    await viewerOfA.post('/api/sites').send({ clientId: a, name: 'x' }).expect(403);
    await viewerOfA.patch(`/api/sites/${siteOfA.id}`).send({ name: 'x' }).expect(403);
    await viewerOfA.delete(`/api/sites/${siteOfA.id}`).expect(403);

    const own = await adminOfA.post('/api/sites').send({ clientId: a, name: 'Filial' }).expect(201);
    await adminOfA.patch(`/api/sites/${own.body.id}`).send({ readingDay: 5 }).expect(200);
    expect((await adminOfA.get('/api/sites').expect(200)).body.map((s: { clientId: number }) => s.clientId)).toEqual([a, a]);
    expect((await adminOfA.get('/api/sites').query({ clientId: b }).expect(200)).body).toEqual([]);
    await adminOfA.post('/api/sites').send({ clientId: b, name: 'x' }).expect(404);
    await adminOfA.get(`/api/sites/${siteOfB.id}`).expect(404);
    await adminOfA.patch(`/api/sites/${siteOfB.id}`).send({ name: 'x' }).expect(404);
    await adminOfA.delete(`/api/sites/${siteOfB.id}`).expect(404);
    await adminOfA.delete(`/api/sites/${own.body.id}`).expect(204);
    // Staff reach every client's.
    expect((await t.http.patch(`/api/sites/${siteOfB.id}`).send({ readingDay: 20 }).expect(200)).body.readingDay).toBe(20);
  });
});

describe('upgrading a database made before sites', () => {
  it('gives every existing client one site, named after it, holding all its devices', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'pieng-sites-upgrade-'));
    const pg = usesPostgres() ? await createPgDatabase() : undefined;
    const env = { DATA_DIR: dataDir, ...(pg && { DATABASE_URL: pg.url, SECRETS_KEY: TEST_SECRETS_KEY }) };
    let t: TestApp | undefined;
    try {
      const before = MIGRATIONS.slice(0, MIGRATIONS.indexOf(SitesTariffs1764270000001));
      const old = new DataSource({ ...dataSourceOptions(loadConfig(env)), migrations: before, migrationsRun: false });
      await old.initialize();
      await old.runMigrations();
      const sql = (text: string) => {
        let n = 0;
        return pg ? text.replace(/\?/g, () => `$${++n}`) : text;
      };
      for (const name of ['Old A', 'Old B', 'Old C']) await old.query(sql('INSERT INTO clients (name, created_at) VALUES (?, ?)'), [name, Date.now()]);
      const clients = (await old.query('SELECT id, name FROM clients ORDER BY id')) as { id: number; name: string }[];
      const [a, b] = clients.map((c) => Number(c.id));
      for (const [uid, clientId] of [
        ['u-1', a],
        ['u-2', a],
        ['u-3', b],
      ] as const) {
        await old.query(
          sql(
            `INSERT INTO devices (uid, client_id, name, device_type, active, poll_interval_sec, config, consecutive_failures, created_at) VALUES (?, ?, ?, 'api', ?, 30, '{}', 0, ?)`,
          ),
          [uid, clientId, uid, pg ? true : 1, Date.now()],
        );
      }
      await old.destroy();

      t = await startTestApp(env);
      const sites = (await t.http.get('/api/sites').expect(200)).body as { id: number; clientId: number; name: string }[];
      // One each, the client without devices too.
      expect(sites.map((s) => [s.clientId, s.name])).toEqual(clients.map((c) => [Number(c.id), c.name]));
      const siteOf = new Map(sites.map((s) => [s.clientId, s.id]));
      const devices = (await t.http.get('/api/devices').expect(200)).body as { uid: string; siteId: number; submeter: boolean }[];
      expect(devices.map((d) => [d.uid, d.siteId, d.submeter])).toEqual([
        ['u-1', siteOf.get(a), false],
        ['u-2', siteOf.get(a), false],
        ['u-3', siteOf.get(b), false],
      ]);
    } finally {
      await t?.close();
      await pg?.drop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
