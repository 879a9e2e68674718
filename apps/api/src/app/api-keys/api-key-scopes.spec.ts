import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { loadConfig } from '../config/app-config';
import { dataSourceOptions } from '../database/database.module';
import { MIGRATIONS } from '../database/migrations';
import { ForwardKeysDeviceRevision1764220000000 } from '../database/migrations/1764220000000-forward-keys-device-revision';
import { createPgDatabase, startTestApp, TEST_SECRETS_KEY, TestApp, usesPostgres } from '../../testing/test-app';

/** A forwarded batch as a master sends it: readings by uid, the new devices described. */
const forwardedBatch = (uids: string[]) => ({
  source: 'forward',
  readings: uids.map((uid) => ({ deviceUid: uid, timestamp: '2026-11-26T10:00:00Z', metrics: { voltage: 230 } })),
  devices: uids.map((uid) => ({ uid, name: `Meter ${uid}`, deviceType: 'modbus' })),
});

describe('API key scopes: ingest, forward, read', () => {
  let t: TestApp;
  let clientId: number;
  let existing: { id: number; uid: string };
  const keyOf = async (scope: string) =>
    (
      await t.http
        .post('/api/api-keys')
        .send({ name: `${scope} key`, scope, clientId })
        .expect(201)
    ).body.key as string;
  const deviceCount = async () => (await t.http.get('/api/devices').query({ clientId }).expect(200)).body.length as number;

  beforeAll(async () => {
    t = await startTestApp();
    clientId = (await t.http.post('/api/clients').send({ name: 'Slave plant' }).expect(201)).body.id;
    existing = (await t.http.post('/api/devices').send({ clientId, name: 'Panel', deviceType: 'api' }).expect(201)).body;
  });
  afterAll(() => t?.close());

  it('lets an ingest key write readings of existing devices only: an unknown uid answers 403 naming the forward scope, and creates nothing', async () => {
    const key = await keyOf('ingest');
    await t.anon
      .post('/api/ingest')
      .set('X-API-Key', key)
      .send({ readings: [{ deviceUid: existing.uid, metrics: { voltage: 231 } }] })
      .expect(200);
    await t.anon
      .post('/api/ingest')
      .set('X-API-Key', key)
      .send({ readings: [{ deviceId: existing.id, metrics: { voltage: 232 } }] })
      .expect(200);

    const refused = await t.anon
      .post('/api/ingest')
      .set('X-API-Key', key)
      .send(forwardedBatch(['ingest-new-1', 'ingest-new-2']))
      .expect(403);
    expect(refused.body).toEqual({
      statusCode: 403,
      message:
        'Device uids ingest-new-1, ingest-new-2 not found: an API key of scope "ingest" writes readings of existing devices only; a key of scope "forward" may also create the devices it names',
    });
    // Undescribed, the answer is the same: the scope is what is missing, not the description.
    await t.anon
      .post('/api/ingest')
      .set('X-API-Key', key)
      .send({ readings: [{ deviceUid: 'ingest-new-3', metrics: { voltage: 1 } }] })
      .expect(403);
    expect(await deviceCount()).toBe(1);
  });

  it('lets a forward key create the devices its readings name, as api devices of its client, and nothing but ingest', async () => {
    const key = await keyOf('forward');
    const res = await t.anon
      .post('/api/ingest')
      .set('X-API-Key', key)
      .send(forwardedBatch(['fwd-1', 'fwd-2']))
      .expect(200);
    expect(res.body).toMatchObject({ readings: 2, stored: 2 });
    const created = (await t.http.get('/api/devices').query({ clientId }).expect(200)).body.filter((d: { uid: string }) => d.uid.startsWith('fwd-'));
    expect(created.map((d: { uid: string; deviceType: string; clientId: number }) => [d.uid, d.deviceType, d.clientId])).toEqual([
      ['fwd-1', 'api', clientId],
      ['fwd-2', 'api', clientId],
    ]);
    // Like an ingest key, it may call nothing else.
    await t.anon.get('/api/devices').set('X-API-Key', key).expect(403);
    await t.anon.post('/api/devices').set('X-API-Key', key).send({ clientId, name: 'x', deviceType: 'api' }).expect(403);
    expect((await t.http.get('/api/api-keys').expect(200)).body.map((k: { scope: string }) => k.scope).sort()).toEqual(['forward', 'ingest']);
  });

  it('refuses an unknown scope, naming the three', async () => {
    const res = await t.http.post('/api/api-keys').send({ name: 'x', scope: 'write', clientId }).expect(400);
    expect(res.body.errors).toEqual([{ field: 'scope', message: expect.stringContaining('ingest, forward, read') }]);
  });
});

describe('upgrading a database whose keys predate the forward scope', () => {
  it('turns every ingest key into a forward key, so a slave keeps accepting the devices its master forwards', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'pieng-keys-upgrade-'));
    const pg = usesPostgres() ? await createPgDatabase() : undefined;
    const env = { DATA_DIR: dataDir, ...(pg && { DATABASE_URL: pg.url, SECRETS_KEY: TEST_SECRETS_KEY }) };
    let t: TestApp | undefined;
    try {
      // The schema as the previous release left it, with one key of each scope it knew.
      const before = MIGRATIONS.slice(0, MIGRATIONS.indexOf(ForwardKeysDeviceRevision1764220000000));
      const old = new DataSource({ ...dataSourceOptions(loadConfig(env)), migrations: before, migrationsRun: false });
      await old.initialize();
      await old.runMigrations();
      const sql = (text: string) => {
        let n = 0;
        return pg ? text.replace(/\?/g, () => `$${++n}`) : text;
      };
      await old.query(sql('INSERT INTO clients (name, created_at) VALUES (?, ?)'), ['Acme', Date.now()]);
      const [{ id: clientId }] = await old.query('SELECT id FROM clients');
      const secret = (scope: string) => `pm_legacy_${scope}_key_000000000000`;
      for (const scope of ['ingest', 'read']) {
        await old.query(sql('INSERT INTO api_keys (client_id, name, scope, key_hash, prefix, created_at) VALUES (?, ?, ?, ?, ?, ?)'), [
          clientId,
          `legacy ${scope}`,
          scope,
          createHash('sha256').update(secret(scope)).digest('hex'),
          secret(scope).slice(0, 10),
          Date.now(),
        ]);
      }
      await old.destroy();

      t = await startTestApp(env);
      const keys = (await t.http.get('/api/api-keys').expect(200)).body as Array<{ name: string; scope: string }>;
      expect(keys.map((k) => [k.name, k.scope])).toEqual([
        ['legacy ingest', 'forward'],
        ['legacy read', 'read'],
      ]);
      await t.anon
        .post('/api/ingest')
        .set('X-API-Key', secret('ingest'))
        .send(forwardedBatch(['master-meter']))
        .expect(200);
      expect((await t.http.get('/api/devices').expect(200)).body.map((d: { uid: string }) => d.uid)).toEqual(['master-meter']);
    } finally {
      await t?.close();
      await pg?.drop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
