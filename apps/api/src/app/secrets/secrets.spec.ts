import { createCipheriv, randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { Client as PgClient } from 'pg';
import * as sqlite3 from 'sqlite3';
import { startTuyaCloud, type RunningTuyaCloud } from '@pieng/simulator';
import { createPgDatabase, seedDevice, startTestApp, TestApp } from '../../testing/test-app';
import { TEST_ENGINES } from '../../testing/test-db';
import { waitFor } from '../../testing/wait';
import { BackupService } from '../backup/backup.service';
import { AppConfig, ConfigurationError, loadConfig, parseSecretsKey } from '../config/app-config';
import { runServer } from '../server';
import { SecretBox, SecretUnreadableError } from './secret-box';

const TUYA = {
  accessId: 'plant-tuya-id',
  accessSecret: 'tuya-secret-5f3a9c0e7d21b4468e',
};
const newKey = () => randomBytes(32).toString('base64');

/** Rows read on a connection of the test's own, beside the server's (SQLite file or PostgreSQL database). */
async function rawQuery<T>(config: AppConfig, sql: string, params: unknown[] = []): Promise<T[]> {
  if (config.database.type === 'postgres') {
    const pg = new PgClient({ connectionString: config.database.url });
    await pg.connect();
    try {
      let n = 0;
      return (
        await pg.query(
          sql.replace(/\?/g, () => `$${++n}`),
          params,
        )
      ).rows as T[];
    } finally {
      await pg.end();
    }
  }
  const path = config.database.path;
  return new Promise((ok, fail) => {
    const db = new sqlite3.Database(path, (err) => {
      if (err) return fail(err);
      db.all(sql, params, (e, rows) => db.close(() => (e ? fail(e) : ok(rows as T[]))));
    });
  });
}

/** Every file under dir (recursively), with its permission bits. */
function fileModes(dir: string): Record<string, number> {
  const out: Record<string, number> = {};
  const walk = (d: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const path = join(d, entry.name);
      if (entry.isDirectory()) walk(path);
      else out[relative(dir, path)] = statSync(path).mode & 0o777;
    }
  };
  walk(dir);
  return out;
}

describe('SecretBox (AES-256-GCM)', () => {
  const key = randomBytes(32);
  const box = new SecretBox(key);

  it('seals with a fresh IV each time and opens with the same key and context only', () => {
    const a = box.seal('s3cret', 'device:u1:accessSecret');
    const b = box.seal('s3cret', 'device:u1:accessSecret');
    expect(a).toMatch(/^enc:v1:[A-Za-z0-9_-]+$/);
    expect(a).not.toBe(b);
    expect(a).not.toContain('s3cret');
    expect(box.open(a, 'device:u1:accessSecret')).toBe('s3cret');
    expect(box.open(b, 'device:u1:accessSecret')).toBe('s3cret');
    // 12 bytes of IV, 6 of ciphertext (one per character), 16 of tag.
    expect(Buffer.from(a.slice('enc:v1:'.length), 'base64url')).toHaveLength(12 + 6 + 16);
    expect(() => box.open(a, 'device:u2:accessSecret')).toThrow(SecretUnreadableError);
    expect(() => new SecretBox(randomBytes(32)).open(a, 'device:u1:accessSecret')).toThrow(SecretUnreadableError);
  });

  it('is standard AES-256-GCM: a value sealed by node:crypto directly opens, and any flipped byte is refused', () => {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    cipher.setAAD(Buffer.from('ctx'));
    const body = Buffer.concat([cipher.update('plain text', 'utf8'), cipher.final()]);
    const raw = Buffer.concat([iv, body, cipher.getAuthTag()]);
    expect(box.open('enc:v1:' + raw.toString('base64url'), 'ctx')).toBe('plain text');
    for (const at of [0, 12, raw.length - 1]) {
      const tampered = Buffer.from(raw);
      tampered[at] ^= 1;
      expect(() => box.open('enc:v1:' + tampered.toString('base64url'), 'ctx')).toThrow(SecretUnreadableError);
    }
    expect(() => box.open('enc:v1:AAAA', 'ctx')).toThrow(SecretUnreadableError);
  });

  it('returns a value stored before encryption (no prefix) as it is', () => {
    expect(box.open('legacy-plain', 'ctx')).toBe('legacy-plain');
    expect(SecretBox.isSealed('legacy-plain')).toBe(false);
    expect(SecretBox.isSealed(box.seal('x', 'ctx'))).toBe(true);
  });
});

describe('SECRETS_KEY', () => {
  it('takes 32 bytes as 64 hex characters or base64, and names the variable without printing it otherwise', () => {
    const bytes = randomBytes(32);
    expect(loadConfig({ SECRETS_KEY: bytes.toString('hex') }).secretsKey).toEqual(bytes);
    expect(loadConfig({ SECRETS_KEY: bytes.toString('base64') }).secretsKey).toEqual(bytes);
    expect(loadConfig({ SECRETS_KEY: bytes.toString('base64url') }).secretsKey).toEqual(bytes);
    expect(loadConfig({ SECRETS_KEY: '' }).secretsKey).toBeUndefined();
    for (const bad of [randomBytes(16).toString('hex'), randomBytes(31).toString('base64'), 'correct horse battery staple', 'z'.repeat(64)]) {
      let message = '';
      try {
        loadConfig({ SECRETS_KEY: bad });
      } catch (err) {
        expect(err).toBeInstanceOf(ConfigurationError);
        message = (err as Error).message;
      }
      expect(message).toMatch(/SECRETS_KEY=\(value hidden\): SECRETS_KEY must be 32 random bytes written as 64 hex characters or in base64/);
      expect(message).not.toContain(bad);
    }
    expect(parseSecretsKey('g'.repeat(64))).toBeUndefined();
  });

  it('a damaged DATA_DIR/secrets-key stops the start with a message naming the file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pieng-key-'));
    try {
      writeFileSync(join(dir, 'secrets-key'), 'not a key\n', { mode: 0o600 });
      const lines: string[] = [];
      const io = { out: (l: string) => lines.push(l), err: (l: string) => lines.push(l) };
      expect(await runServer([], { DATA_DIR: dir, LOG_LEVEL: 'error', PORT: '0', ENABLE_POLLING: 'false' }, io)).toBe(1);
      expect(lines.join('\n')).toContain(`${join(dir, 'secrets-key')} does not hold a secrets key: it must be 32 random bytes`);
      expect(lines.join('\n')).not.toMatch(/database/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);

  it('is required with PostgreSQL, where every instance must use the same key', () => {
    expect(() => loadConfig({ DATABASE_URL: 'postgres://u@db:5432/pieng' })).toThrow(
      /SECRETS_KEY is required with a PostgreSQL DATABASE_URL, and must be the same on every instance/,
    );
    expect(
      loadConfig({
        DATABASE_URL: 'postgres://u@db:5432/pieng',
        SECRETS_KEY: newKey(),
      }).database.type,
    ).toBe('postgres');
  });
});

describe('Data files (SQLite)', () => {
  let cloud: RunningTuyaCloud;
  beforeAll(async () => {
    cloud = await startTuyaCloud({ port: 0, ...TUYA, deviceIds: ['plug-1'] });
  });
  afterAll(() => cloud.close());

  /** SQLite in the data directory, also when the suite runs against PostgreSQL. */
  const onSqlite = (dataDir: string) => ({
    DATA_DIR: dataDir,
    DATABASE_URL: `sqlite:${join(dataDir, 'app.db')}`,
  });

  it('are created readable by their owner only, backups included, and hold no device secret in clear', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'pieng-modes-'));
    const t = await startTestApp(onSqlite(dataDir));
    try {
      const { clientId, deviceId } = await seedDevice(t.http);
      const tuya = {
        region: 'eu',
        endpoint: `http://127.0.0.1:${cloud.port}`,
        ...TUYA,
        tuyaDeviceId: 'plug-1',
        simulated: true,
      };
      await t.http.post('/api/devices').send({ clientId, name: 'Plug', deviceType: 'tuya', config: tuya }).expect(201);
      const readings = Array.from({ length: 20 }, (_, i) => ({
        deviceId,
        timestamp: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(),
        metrics: { voltage: 230 + i / 10 },
      }));
      await t.http.post('/api/ingest').send({ readings }).expect(200);
      await t.app.get(BackupService).runScheduledBackup(new Date(Date.UTC(2026, 0, 1, 3)));
      const copy = join(dataDir, 'manual', 'copy.db');
      const io = {
        out: () => undefined,
        err: (line: string) => console.error(line),
      };
      expect(await runServer(['db-backup', copy], onSqlite(dataDir), io)).toBe(0);

      const modes = fileModes(dataDir);
      // Worked out from what the server writes: the database and its WAL files, the audit trail and its
      // trail id, two generated secrets, one scheduled backup and the db-backup copy.
      expect(Object.keys(modes).sort()).toEqual(
        [
          'app.db',
          'app.db-shm',
          'app.db-wal',
          'audit.log',
          'audit.log.id',
          'backups/pieng-20260101-030000.db',
          'jwt-secret',
          'manual/copy.db',
          'secrets-key',
        ].sort(),
      );
      expect(Object.entries(modes).filter(([, mode]) => mode !== 0o600)).toEqual([]);
      expect(statSync(join(dataDir, 'backups')).mode & 0o777).toBe(0o700);

      // Neither the database (file and WAL, as `strings` would read them) nor a backup holds the secret.
      for (const file of ['app.db', 'app.db-wal', 'backups/pieng-20260101-030000.db', 'manual/copy.db']) {
        expect(readFileSync(join(dataDir, file)).includes(TUYA.accessSecret)).toBe(false);
      }
      const [row] = await rawQuery<{ config: string }>(t.config, "SELECT config FROM devices WHERE device_type = 'tuya'");
      expect(JSON.parse(row.config).accessSecret).toMatch(/^enc:v1:/);
      expect(JSON.parse(row.config).accessId).toBe(TUYA.accessId);
    } finally {
      await t.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 30_000);

  it('written by an older version with wider permissions are narrowed at start-up', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'pieng-modes-'));
    try {
      const first = await startTestApp(onSqlite(dataDir));
      const { deviceId } = await seedDevice(first.http);
      await first.http
        .post('/api/ingest')
        .send({ readings: [{ deviceId, metrics: { voltage: 231 } }] })
        .expect(200);
      await first.app.get(BackupService).runScheduledBackup(new Date(Date.UTC(2026, 0, 1, 3)));
      await first.close();
      const files = Object.keys(fileModes(dataDir));
      expect(files).toEqual(expect.arrayContaining(['app.db', 'audit.log', 'jwt-secret', 'secrets-key', 'backups/pieng-20260101-030000.db']));
      for (const file of files) chmodSync(join(dataDir, file), file === 'audit.log' ? 0o640 : 0o644);

      const again = await startTestApp(onSqlite(dataDir));
      try {
        await again.http
          .post('/api/ingest')
          .send({ readings: [{ deviceId, metrics: { voltage: 232 } }] })
          .expect(200);
        expect(Object.entries(fileModes(dataDir)).filter(([, mode]) => mode !== 0o600)).toEqual([]);
      } finally {
        await again.close();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe.each(TEST_ENGINES)('Device secrets at rest on %s', (engine) => {
  let cloud: RunningTuyaCloud;
  let dataDir: string;
  let dropPg: (() => Promise<void>) | undefined;
  /** The same data (DATA_DIR, and the PostgreSQL database) for every start of a test. */
  let storage: Record<string, string>;
  const apps: TestApp[] = [];

  const start = async (env: Record<string, string> = {}) => {
    const t = await startTestApp({ ...storage, ...env });
    apps.push(t);
    return t;
  };
  const stop = async (t: TestApp) => {
    apps.splice(apps.indexOf(t), 1);
    await t.close();
  };
  const tuyaConfig = () => ({
    region: 'eu',
    endpoint: `http://127.0.0.1:${cloud.port}`,
    ...TUYA,
    tuyaDeviceId: 'plug-1',
    simulated: true,
  });
  /** The settings as a client that never saw the secret sends them back. */
  const withoutSecret = () => {
    const config: Record<string, unknown> = tuyaConfig();
    delete config['accessSecret'];
    return config;
  };
  const createPlug = async (t: TestApp, clientId: number, name = 'Plug', pollIntervalSec = 30) =>
    (
      await t.http
        .post('/api/devices')
        .send({
          clientId,
          name,
          deviceType: 'tuya',
          pollIntervalSec,
          config: tuyaConfig(),
        })
        .expect(201)
    ).body as { id: number; uid: string; config: Record<string, unknown> };
  const storedSecret = async (t: TestApp, id: number) => {
    const [row] = await rawQuery<{ config: string }>(t.config, 'SELECT config FROM devices WHERE id = ?', [id]);
    return JSON.parse(row.config).accessSecret as string;
  };

  beforeAll(async () => {
    cloud = await startTuyaCloud({ port: 0, ...TUYA, deviceIds: ['plug-1'] });
  });
  afterAll(() => cloud.close());
  beforeEach(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'pieng-secrets-'));
    const pg = engine === 'postgres' ? await createPgDatabase() : undefined;
    dropPg = pg?.drop;
    storage = {
      DATA_DIR: dataDir,
      DATABASE_URL: pg?.url ?? `sqlite:${join(dataDir, 'app.db')}`,
    };
  });
  afterEach(async () => {
    for (const t of apps.splice(0)) await t.close();
    await dropPg?.();
    rmSync(dataDir, { recursive: true, force: true });
  }, 30_000);

  it('stores the Tuya secret encrypted, never returns it, and the plug still reads (poll, update, test read)', async () => {
    const t = await start();
    const client = (await t.http.post('/api/clients').send({ name: 'Plug owner' }).expect(201)).body;
    const plug = await createPlug(t, client.id);
    expect(plug.config['hasAccessSecret']).toBe(true);
    expect(JSON.stringify(plug)).not.toContain(TUYA.accessSecret);
    const sealed = await storedSecret(t, plug.id);
    expect(sealed).toMatch(/^enc:v1:/);

    const poll = await t.http.post(`/api/devices/${plug.id}/poll`).expect(200);
    // The cloud checks the request signature (HMAC with the secret): a reading means the secret opened.
    expect(poll.body.metrics.voltage).toBeGreaterThan(220);
    expect(poll.body.metrics.voltage).toBeLessThan(240);

    // New settings without the secret keep the stored one: sealed again (new IV), and still right.
    await t.http
      .patch(`/api/devices/${plug.id}`)
      .send({
        config: {
          ...tuyaConfig(),
          accessSecret: undefined,
          scales: { cur_power: 0.1 },
        },
      })
      .expect(200);
    const resealed = await storedSecret(t, plug.id);
    expect(resealed).toMatch(/^enc:v1:/);
    expect(resealed).not.toBe(sealed);
    await t.http.post(`/api/devices/${plug.id}/poll`).expect(200);
    const read = await t.http.post('/api/devices/test-read').send({ deviceType: 'tuya', deviceId: plug.id, config: withoutSecret() }).expect(200);
    expect(read.body.metrics.map((m: { metric: string }) => m.metric)).toContain('voltage');
  }, 30_000);

  it('encrypts a secret stored in plain by an older version at the next start; the plug still reads', async () => {
    const first = await start();
    const client = (await first.http.post('/api/clients').send({ name: 'Plug owner' }).expect(201)).body;
    const plug = await createPlug(first, client.id);
    await stop(first);
    // As the previous version stored it.
    const [row] = await rawQuery<{ config: string }>(first.config, 'SELECT config FROM devices WHERE id = ?', [plug.id]);
    const plain = JSON.stringify({
      ...JSON.parse(row.config),
      accessSecret: TUYA.accessSecret,
    });
    await rawQuery(first.config, 'UPDATE devices SET config = ? WHERE id = ?', [plain, plug.id]);
    expect(await storedSecret(first, plug.id)).toBe(TUYA.accessSecret);

    const again = await start();
    const sealed = await storedSecret(again, plug.id);
    expect(sealed).toMatch(/^enc:v1:/);
    await again.http.post(`/api/devices/${plug.id}/poll`).expect(200);
    await stop(again);
    // Idempotent: a further start leaves the sealed value alone.
    const third = await start();
    expect(await storedSecret(third, plug.id)).toBe(sealed);
    await third.http.post(`/api/devices/${plug.id}/poll`).expect(200);
  }, 60_000);

  it('under another key: the plug fails with a clear message, polling goes on for the others, and entering the secret again mends it', async () => {
    const keyA = newKey();
    const first = await start({ SECRETS_KEY: keyA });
    const client = (await first.http.post('/api/clients').send({ name: 'Plug owner' }).expect(201)).body;
    const old = await createPlug(first, client.id, 'Saved under key A', 1);
    await stop(first);

    const t = await start({ SECRETS_KEY: newKey(), ENABLE_POLLING: 'true' });
    const fresh = await createPlug(t, client.id, 'Saved under key B', 1);
    const message = 'the stored Tuya secret cannot be decrypted: SECRETS_KEY differs from the one it was saved with; enter the secret again';

    const poll = await t.http.post(`/api/devices/${old.id}/poll`).expect(422);
    expect(poll.body.message).toBe(`device ${old.id}: ${message}`);
    // The scheduler records the failure on that device and keeps reading the other one.
    const failed = await waitFor('the failure on the plug saved under key A', async () => {
      const d = (await t.http.get(`/api/devices/${old.id}`).expect(200)).body;
      return d.lastError ? d : undefined;
    });
    expect(failed.lastError).toBe(`device ${old.id}: ${message}`);
    await waitFor('a reading of the plug saved under key B', async () => (await t.http.get(`/api/devices/${fresh.id}`).expect(200)).body.lastSeenAt);
    expect((await t.http.get(`/api/devices/${old.id}`).expect(200)).body.config.hasAccessSecret).toBe(true);

    // New settings that keep the unreadable secret are refused naming it; with the secret entered again they work.
    const refused = await t.http.patch(`/api/devices/${old.id}`).send({ config: withoutSecret() }).expect(400);
    expect(refused.body.errors).toEqual([{ field: 'config.accessSecret', message }]);
    await t.http.post('/api/devices/test-read').send({ deviceType: 'tuya', deviceId: old.id, config: withoutSecret() }).expect(400);
    await t.http.patch(`/api/devices/${old.id}`).send({ name: 'Renamed, secret untouched' }).expect(200);
    await t.http.patch(`/api/devices/${old.id}`).send({ config: tuyaConfig() }).expect(200);
    await t.http.post(`/api/devices/${old.id}/poll`).expect(200);
  }, 60_000);
});
