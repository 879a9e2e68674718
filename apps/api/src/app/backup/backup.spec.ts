import { Global, INestApplication, Module } from '@nestjs/common';
import { ScheduleModule, SchedulerRegistry } from '@nestjs/schedule';
import { Test } from '@nestjs/testing';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as sqlite3 from 'sqlite3';
import request from 'supertest';
import { createApp } from '../bootstrap';
import { APP_CONFIG, AppConfig, loadConfig } from '../config/app-config';
import { runServer } from '../server';
import { TEST_ADMIN, TEST_SECRETS_KEY } from '../../testing/test-app';
import { BackupModule } from './backup.module';
import { BACKUP_JOB, backupFileName, BackupService } from './backup.service';

const BASE = Date.UTC(2026, 10, 26, 0, 0, 0);

function query<T>(file: string, sql: string): Promise<T[]> {
  return new Promise((ok, fail) => {
    const db = new sqlite3.Database(file, sqlite3.OPEN_READONLY, (err) => {
      if (err) return fail(err);
      db.all(sql, (e, rows) => db.close(() => (e ? fail(e) : ok(rows as T[]))));
    });
  });
}

async function start(config: AppConfig): Promise<{ app: INestApplication; url: string; http: ReturnType<typeof request.agent> }> {
  const app = await createApp(config);
  await app.listen(0, '127.0.0.1');
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  const login = await request(url).post('/api/auth/login').send(TEST_ADMIN).expect(200);
  return { app, url, http: request.agent(url).set('Authorization', `Bearer ${login.body.accessToken}`) };
}

/** Every voltage timestamp the API returns for the device, through all pages. */
async function apiTimestamps(http: ReturnType<typeof request.agent>, deviceId: number): Promise<number[]> {
  const seen: number[] = [];
  let cursor: string | undefined;
  do {
    const res = await http
      .get('/api/metrics')
      .query({ deviceId, metric: 'voltage', from: BASE, to: BASE + 86_400_000, limit: 1000, ...(cursor && { cursor }) })
      .expect(200);
    seen.push(...res.body.items.map((i: { ts: string }) => Date.parse(i.ts)));
    cursor = res.body.nextCursor ?? undefined;
  } while (cursor);
  return seen.sort((a, b) => a - b);
}

describe('SQLite backup and restore', () => {
  let root: string;
  beforeEach(() => (root = mkdtempSync(join(tmpdir(), 'pieng-backup-'))));
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  const configFor = (dataDir: string) =>
    loadConfig({
      DATA_DIR: dataDir,
      LOG_LEVEL: 'error',
      LOG_FORMAT: 'json',
      ENABLE_POLLING: 'false',
      ADMIN_EMAIL: TEST_ADMIN.email,
      ADMIN_PASSWORD: TEST_ADMIN.password,
    });

  it('backs up while the server ingests; the copy holds every reading stored before it and restores into a working server', async () => {
    const dataDir = join(root, 'data');
    const config = configFor(dataDir);
    let server = await start(config);
    const service = new BackupService(config);
    let deviceId: number;
    const acknowledged: number[] = [];
    let backupFile: string;
    try {
      const client = await server.http.post('/api/clients').send({ name: 'Plant' }).expect(201);
      const device = await server.http.post('/api/devices').send({ clientId: client.body.id, name: 'Main', deviceType: 'api' }).expect(201);
      deviceId = device.body.id;

      // A writer that keeps ingesting batches of 20 readings until told to stop.
      let next = 0;
      let stop = false;
      const writer = (async () => {
        while (!stop) {
          const batch = Array.from({ length: 20 }, () => BASE + 1000 * next++);
          await server.http
            .post('/api/ingest')
            .send({ readings: batch.map((ts) => ({ deviceId, timestamp: new Date(ts).toISOString(), metrics: { voltage: 230 + (ts % 7) } })) })
            .expect(200);
          acknowledged.push(...batch);
        }
      })();
      while (acknowledged.length < 200) await new Promise((r) => setTimeout(r, 10));

      const before = [...acknowledged];
      const result = await service.backupTo(join(root, 'manual', 'copy.db'));
      const duringBackup = acknowledged.length;
      await new Promise((r) => setTimeout(r, 100)); // the writer goes on after the backup
      stop = true;
      await writer;
      backupFile = result.path;

      expect(result.bytes).toBeGreaterThan(0);
      expect(acknowledged.length).toBeGreaterThan(duringBackup); // ingest was never stopped
      const [check] = await query<{ integrity_check: string }>(backupFile, 'PRAGMA integrity_check');
      expect(check.integrity_check).toBe('ok');
      const rows = await query<{ ts: number }>(backupFile, `SELECT ts FROM measurements WHERE device_id = ${deviceId} AND metric = 'voltage'`);
      const inBackup = new Set(rows.map((r) => Number(r.ts)));
      expect(before.filter((ts) => !inBackup.has(ts))).toEqual([]);
      // Whole batches only: a batch is all-or-nothing, and the copy is one snapshot.
      expect(inBackup.size % 20).toBe(0);
      expect(inBackup.size).toBeLessThan(acknowledged.length);
    } finally {
      await server.app.close();
    }

    // Restore: server stopped, backup over app.db, WAL and shm removed, start again.
    copyFileSync(backupFile, join(dataDir, 'app.db'));
    rmSync(join(dataDir, 'app.db-wal'), { force: true });
    rmSync(join(dataDir, 'app.db-shm'), { force: true });
    server = await start(configFor(dataDir));
    try {
      const restored = await apiTimestamps(server.http, deviceId);
      const inBackup = (await query<{ ts: number }>(backupFile, `SELECT ts FROM measurements WHERE device_id = ${deviceId} AND metric = 'voltage'`)).map((r) =>
        Number(r.ts),
      );
      expect(restored).toEqual(inBackup.sort((a, b) => a - b));
      expect(restored.length).toBeGreaterThanOrEqual(200);
      // The restored server takes new readings.
      await server.http
        .post('/api/ingest')
        .send({ readings: [{ deviceId, timestamp: new Date(BASE + 3_600_000).toISOString(), metrics: { voltage: 231 } }] })
        .expect(200);
      expect((await apiTimestamps(server.http, deviceId)).length).toBe(restored.length + 1);
    } finally {
      await server.app.close();
    }
  }, 20_000);

  it('scheduled backups are named by their UTC time, kept BACKUP_RETENTION_DAYS days, and unrelated files are left alone', async () => {
    const dataDir = join(root, 'data');
    const config = configFor(dataDir);
    const server = await start(config);
    try {
      const settings = config.backup;
      expect(settings).toEqual({ dir: join(dataDir, 'backups'), retentionDays: 7, hour: 3 });
      const service = new BackupService(config);
      mkdirSync(settings.dir, { recursive: true });
      const keep = [
        'pieng-20261120-030000.db',
        'pieng-20261125-030000.db',
        'notes.txt',
        'pieng-manual.db',
        'pieng-20200101-030000.db.bak',
        'other-20200101-030000.db',
      ];
      const old = ['pieng-20261118-030000.db', 'pieng-20200101-030000.db'];
      for (const name of [...keep, ...old]) writeFileSync(join(settings.dir, name), 'x');

      const now = new Date(Date.UTC(2026, 10, 26, 3, 0, 0)); // 7 days back: 2026-11-19 03:00
      const result = await service.runScheduledBackup(now);
      expect(result.path).toBe(join(settings.dir, 'pieng-20261126-030000.db'));
      expect(result.deleted.sort()).toEqual([...old].sort());
      expect(readdirSync(settings.dir).sort()).toEqual([...keep, 'pieng-20261126-030000.db'].sort());
      const [n] = await query<{ n: number }>(result.path, 'SELECT COUNT(*) AS n FROM users');
      expect(n.n).toBe(1);

      // Same second again: refused, nothing overwritten.
      await expect(service.runScheduledBackup(now)).rejects.toThrow(/Refusing to overwrite/);
    } finally {
      await server.app.close();
    }
  });

  it('schedules the daily job at BACKUP_HOUR in SCHEDULER_TIMEZONE and validates the variables', () => {
    const config = loadConfig(
      { DATA_DIR: join(root, 'd'), SCHEDULER_TIMEZONE: 'Europe/Madrid', BACKUP_HOUR: '2', BACKUP_DIR: 'b', BACKUP_RETENTION_DAYS: '30' },
      root,
    );
    expect(config.backup).toEqual({ dir: join(root, 'b'), retentionDays: 30, hour: 2 });
    const service = new BackupService(config);
    service.onApplicationBootstrap();
    try {
      const next = service.nextRun() ?? new Date(NaN);
      const local = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Madrid', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(next);
      expect(local).toBe('02:00');
      expect(next.getTime() - Date.now()).toBeLessThanOrEqual(25 * 3_600_000);
    } finally {
      service.onApplicationShutdown();
    }
    expect(() => loadConfig({ BACKUP_HOUR: '24' }, root)).toThrow(/BACKUP_HOUR="24": BACKUP_HOUR must not be greater than 23/);
    expect(() => loadConfig({ BACKUP_RETENTION_DAYS: 'week' }, root)).toThrow(
      /BACKUP_RETENTION_DAYS="week": .*BACKUP_RETENTION_DAYS must be an integer number/,
    );
  });

  it('BackupModule wires into Nest: the daily job is in the scheduler registry while the app runs', async () => {
    const config = loadConfig({ DATA_DIR: join(root, 'data'), LOG_LEVEL: 'error' });
    @Global()
    @Module({ providers: [{ provide: APP_CONFIG, useValue: config }], exports: [APP_CONFIG] })
    class ConfigModule {}
    const moduleRef = await Test.createTestingModule({ imports: [ConfigModule, ScheduleModule.forRoot(), BackupModule] }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    const registry = app.get(SchedulerRegistry);
    expect(registry.doesExist('cron', BACKUP_JOB)).toBe(true);
    expect(app.get(BackupService).nextRun()).toBeInstanceOf(Date);
    await app.close();
    expect(registry.doesExist('cron', BACKUP_JOB)).toBe(false);
  });

  it('db-backup writes a copy, prints path and size, refuses to overwrite, and points PostgreSQL users to pg_dump', async () => {
    const dataDir = join(root, 'data');
    const app = await createApp(configFor(dataDir)); // creates and migrates app.db
    await app.init(); // seeds the first admin
    await app.close();
    const out: string[] = [];
    const err: string[] = [];
    const io = { out: (l: string) => out.push(l), err: (l: string) => err.push(l) };
    const file = join(root, 'copy.db');

    expect(await runServer(['db-backup', file], { DATA_DIR: dataDir }, io)).toBe(0);
    expect(out.join('\n')).toMatch(new RegExp(`written: ${file.replace(/[.]/g, '\\.')} \\(\\d+ bytes\\)`));
    const [n] = await query<{ n: number }>(file, 'SELECT COUNT(*) AS n FROM users');
    expect(n.n).toBe(1);

    writeFileSync(join(root, 'taken.db'), 'precious');
    expect(await runServer(['db-backup', join(root, 'taken.db')], { DATA_DIR: dataDir }, io)).toBe(1);
    expect(err.pop()).toMatch(/Refusing to overwrite .*taken\.db/);
    expect(readdirSync(root).filter((f) => f.endsWith('.partial'))).toEqual([]);

    expect(await runServer(['db-backup'], { DATA_DIR: dataDir }, io)).toBe(1);
    expect(err.pop()).toMatch(/Usage: db-backup <file>/);
    expect(await runServer(['db-backup', join(root, 'x.db')], { DATA_DIR: join(root, 'empty') }, io)).toBe(1);
    expect(err.pop()).toMatch(/No database at/);
    expect(await runServer(['db-backup', join(root, 'pg.db')], { DATABASE_URL: 'postgres://u:p@db:5432/pieng', SECRETS_KEY: TEST_SECRETS_KEY }, io)).toBe(1);
    expect(err.pop()).toMatch(/pg_dump/);
    expect(existsSync(join(root, 'pg.db'))).toBe(false);
    expect(backupFileName(new Date(Date.UTC(2026, 0, 2, 3, 4, 5)))).toBe('pieng-20260102-030405.db');
  });
});
