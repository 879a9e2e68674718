import { readFileSync } from 'node:fs';
import { DataSource } from 'typeorm';
import { createPgDatabase, seedDevice, startTestApp, TEST_SECRETS_KEY, TestApp } from '../../testing/test-app';
import type { AuditRecord } from '../audit/audit-chain';
import { loadConfig } from '../config/app-config';
import { dataSourceOptions } from '../database/database.module';
import { Database } from '../database/database.service';
import { MIGRATIONS } from '../database/migrations';
import { runServer } from '../server';
import { MeasurementPartitions } from './measurement-partitions';
import { RetentionService } from './retention.service';

/**
 * PostgreSQL's monthly partitions of `measurements` (npm run test:pg): the migration that converts
 * an existing table with its rows, partitions created ahead of time by the job's clock, a reading
 * of a month without a partition, and retention by dropping a whole month when every client's
 * retention (and the forwarder) allows it, by range otherwise.
 */
const utc = (y: number, m: number, d: number, h = 0) => Date.UTC(y, m - 1, d, h);

describe('measurements partitioned by month (PostgreSQL)', () => {
  it('the migration converts an existing table with its rows; ingest’s ON CONFLICT DO NOTHING still keeps a value once', async () => {
    const pg = await createPgDatabase();
    const config = loadConfig({ DATABASE_URL: pg.url, SECRETS_KEY: TEST_SECRETS_KEY });
    const before = MIGRATIONS.findIndex((m) => m.name === 'MeasurementsByMonth1764260000001');
    expect(before).toBeGreaterThan(0);
    let ds = new DataSource({ ...dataSourceOptions(config), migrations: MIGRATIONS.slice(0, before), migrationsRun: false } as never);
    try {
      await ds.initialize();
      await ds.runMigrations();
      // Three readings in June 2025, two in August 2025, as an older server stored them.
      const rows = [utc(2025, 6, 1), utc(2025, 6, 30, 23), utc(2025, 6, 15), utc(2025, 8, 2), utc(2025, 8, 31, 23)];
      for (const [i, ts] of rows.entries())
        await ds.query(`INSERT INTO measurements (device_id, metric, ts, value, source) VALUES (7, 'voltage', $1, $2, 'api')`, [ts, 230 + i]);
      await ds.destroy();

      ds = new DataSource({ ...dataSourceOptions(config), migrationsRun: false } as never);
      await ds.initialize();
      await ds.runMigrations();
      const [{ relkind }] = await ds.query(`SELECT relkind FROM pg_class WHERE oid = 'measurements'::regclass`);
      expect(relkind).toBe('p');
      const placed = await ds.query(`SELECT tableoid::regclass::text AS part, COUNT(*)::int AS n FROM measurements GROUP BY 1 ORDER BY 1`);
      expect(placed).toEqual([
        { part: 'measurements_p202506', n: 3 },
        { part: 'measurements_p202508', n: 2 },
      ]);
      // July 2025 held no rows: no partition for it; the months from now on are ready; a default partition takes the rest.
      const parts: string[] = (
        await ds.query(`SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'measurements'::regclass ORDER BY 1`)
      ).map((r: { relname: string }) => r.relname);
      const now = new Date();
      const month = (k: number) => {
        const d = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + k, 1));
        return `measurements_p${d.getUTCFullYear()}${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
      };
      expect(parts).toEqual(['measurements_default', 'measurements_p202506', 'measurements_p202508', month(0), month(1), month(2), month(3)].sort());
      expect(await ds.query(`SELECT to_regclass('measurements_unpartitioned') AS t`)).toEqual([{ t: null }]);

      const db = new Database(ds);
      const insert = (ts: number, value: number) =>
        db.transaction((m) =>
          db.execute(
            `INSERT INTO measurements (device_id, metric, ts, value, source) VALUES (7, 'voltage', ?, ?, 'api') ON CONFLICT (device_id, metric, ts) DO NOTHING`,
            [ts, value],
            m,
          ),
        );
      expect(await insert(utc(2025, 6, 15), 999)).toBe(0);
      expect(await insert(utc(2025, 7, 4), 231)).toBe(1);
      const [july] = await ds.query(`SELECT tableoid::regclass::text AS part, value FROM measurements WHERE ts = $1`, [utc(2025, 7, 4)]);
      expect(july).toEqual({ part: 'measurements_default', value: 231 });
      expect(await ds.query(`SELECT value FROM measurements WHERE ts = $1`, [utc(2025, 6, 15)])).toEqual([{ value: 232 }]);
    } finally {
      if (ds.isInitialized) await ds.destroy();
      await pg.drop();
    }
  });

  describe('the retention job with a fake clock', () => {
    let t: TestApp;
    let db: Database;
    let retention: RetentionService;
    let a: { clientId: number; deviceId: number; uid: string };
    let b: { clientId: number; deviceId: number; uid: string };
    const partitions = async () =>
      (
        await db.query<{ relname: string }>(
          `SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'measurements'::regclass ORDER BY 1`,
        )
      ).map((r) => r.relname);
    const instantsOf = async (deviceId: number) =>
      (await db.query<{ ts: string }>('SELECT ts FROM measurements WHERE device_id = ? ORDER BY ts', [deviceId])).map((r) => Number(r.ts));
    const sql = (text: string, params: unknown[] = []) => db.transaction((m) => m.query(db.sql(text), params));
    /** The 5th and 25th of August to November 2026: 8 readings per device. */
    const days = [8, 9, 10, 11].flatMap((m) => [utc(2026, m, 5), utc(2026, m, 25)]);

    beforeAll(async () => {
      t = await startTestApp({ RETENTION_RAW_DAYS: '30' });
      db = t.app.get(Database);
      retention = t.app.get(RetentionService);
      a = await seedDevice(t.http, 'Meter A', 'Client A');
      b = await seedDevice(t.http, 'Meter B', 'Client B');
    });
    afterAll(() => t.close());

    it('keeps the month of its clock and the three after it ready', async () => {
      const before = await partitions();
      const report = await retention.run(utc(2026, 8, 10));
      // The migration made the real month and the three after it; the job, by its clock of Aug 10, those of Aug to Nov 2026 it lacked.
      const wanted = ['measurements_p202608', 'measurements_p202609', 'measurements_p202610', 'measurements_p202611'];
      expect(report.partitionsCreated).toEqual(wanted.filter((p) => !before.includes(p)));
      expect(report.partitionsCreated.length).toBeGreaterThan(0);
      expect(await partitions()).toEqual(expect.arrayContaining(wanted));
    });

    it('a reading of a month with no partition lands in the default one, and moves into its partition when that is created', async () => {
      await t.http
        .post('/api/ingest')
        .send({ readings: [{ deviceId: a.deviceId, timestamp: utc(2001, 1, 15), metrics: { voltage: 220 } }] })
        .expect(200);
      const where = async () =>
        (await db.query<{ part: string }>(`SELECT tableoid::regclass::text AS part FROM measurements WHERE ts = ?`, [utc(2001, 1, 15)]))[0]?.part;
      expect(await where()).toBe('measurements_default');
      expect(await new MeasurementPartitions(db).create(utc(2001, 1, 1))).toBe(true);
      expect(await where()).toBe('measurements_p200101');
      expect(await new MeasurementPartitions(db).create(utc(2001, 1, 1))).toBe(false);
    });

    it('drops a month only when every client’s retention and the forwarder allow it, and deletes by range otherwise', async () => {
      for (const device of [a, b]) {
        await t.http
          .post('/api/ingest')
          .send({ readings: days.map((ts, i) => ({ deviceId: device.deviceId, timestamp: ts, metrics: { voltage: 230 + i } })) })
          .expect(200);
      }
      // Client B keeps 120 days: on Nov 20 its cut is Jul 23, so August must stay for B.
      await t.http
        .patch(`/api/clients/${b.clientId}`)
        .send({ retention: { rawDays: 120 } })
        .expect(200);
      const NOW = utc(2026, 11, 20, 2);
      // A: cut Oct 21 (30 days before Nov 20): Aug 5, Aug 25, Sep 5, Sep 25, Oct 5 go by range. Everyone's cut is B's (Jul 23):
      // no month of 2026 goes whole, but January 2001 (A's one reading) does.
      const first = await retention.run(NOW);
      expect(first.partitionsDropped).toEqual(['measurements_p200101']);
      expect(first.deleted.raw).toBe(5 + 1);
      expect(await instantsOf(a.deviceId)).toEqual(days.slice(5));
      expect(await instantsOf(b.deviceId)).toEqual(days);

      // B back to the platform's 30 days, but the slave has not confirmed B's readings from Sep 25 on (an overflow range).
      await t.http
        .patch(`/api/clients/${b.clientId}`)
        .send({ retention: { rawDays: null } })
        .expect(200);
      await sql('INSERT INTO forward_overflow (device_id, ts_min, ts_max, since) VALUES (?, ?, ?, ?)', [
        b.deviceId,
        utc(2026, 9, 25, 12),
        utc(2026, 11, 25),
        Date.now(),
      ]);
      const second = await retention.run(NOW);
      // Everyone's cut is now Sep 25 00:00 (B's hold): August goes whole (B's Aug 5 and 25), September not; B's Sep 5 by range.
      expect(second.partitionsDropped).toEqual(['measurements_p202608']);
      expect(second.deleted.raw).toBe(2 + 1);
      expect(await instantsOf(b.deviceId)).toEqual(days.slice(3));
      expect(await partitions()).not.toContain('measurements_p202608');
      expect(await partitions()).toContain('measurements_p202609');

      // Confirmed: September goes whole (B's Sep 25), then B's Oct 5 by range.
      await sql('DELETE FROM forward_overflow WHERE device_id = ?', [b.deviceId]);
      const third = await retention.run(NOW);
      expect(third.partitionsDropped).toEqual(['measurements_p202609']);
      expect(third.deleted.raw).toBe(2);
      expect(await instantsOf(b.deviceId)).toEqual(days.slice(5));
      expect(await instantsOf(a.deviceId)).toEqual(days.slice(5));

      // The drops wrote their account first: one line per device and day of what the partition held.
      const lines = readFileSync(t.config.auditLogPath, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as AuditRecord)
        .filter((l) => l.deleted?.reason === 'partition-dropped');
      expect(lines.map((l) => [l.deviceId, l.deleted?.from, l.deleted?.count])).toEqual([
        [a.deviceId, new Date(utc(2001, 1, 15)).toISOString(), 1],
        [b.deviceId, new Date(days[0]).toISOString(), 1],
        [b.deviceId, new Date(days[1]).toISOString(), 1],
        [b.deviceId, new Date(days[3]).toISOString(), 1],
      ]);
      const status = (await t.http.get('/api/retention/status').expect(200)).body;
      expect(status.lastRun.partitionsDropped).toBe(1);
      expect(status.resolutions[0]).toMatchObject({ resolution: 'raw', rows: 6, bytesMeasuredBy: 'pg_total_relation_size' });

      const out: string[] = [];
      const err: string[] = [];
      const code = await runServer(
        ['audit-verify'],
        { DATA_DIR: t.dataDir, DATABASE_URL: t.config.database.type === 'postgres' ? t.config.database.url : '' },
        { out: (l) => out.push(l), err: (l) => err.push(l) },
      );
      expect(err).toEqual([]);
      expect(out[1]).toContain('6 value(s) of 2 device(s)');
      expect(out[1]).toContain('11 value(s) deleted by retention');
      expect(code).toBe(0);
    });

    it('a partition of thousands of values is accounted for page by page: one line per device and day', async () => {
      // A, March 2002: 4,500 readings a minute apart from Mar 1 00:00: 1,440 on each of Mar 1-3, 180 on Mar 4.
      expect(await new MeasurementPartitions(db).create(utc(2002, 3, 1))).toBe(true);
      const start = utc(2002, 3, 1);
      await t.http
        .post('/api/ingest')
        .send({ readings: Array.from({ length: 4500 }, (_, i) => ({ deviceId: a.deviceId, timestamp: start + i * 60_000, metrics: { energy: i } })) })
        .expect(200);
      const report = await retention.run(utc(2026, 11, 20, 2));
      expect(report.partitionsDropped).toEqual(['measurements_p200203']);
      expect(report.deleted.raw).toBe(4500);
      const lines = readFileSync(t.config.auditLogPath, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as AuditRecord)
        .filter((l) => l.deleted?.reason === 'partition-dropped' && l.deleted.from.startsWith('2002-03'));
      const iso = (i: number) => new Date(start + i * 60_000).toISOString();
      expect(lines.map((l) => [l.deleted?.from, l.deleted?.to, l.deleted?.count, l.deleted?.metrics])).toEqual([
        [iso(0), iso(1439), 1440, ['energy']],
        [iso(1440), iso(2879), 1440, ['energy']],
        [iso(2880), iso(4319), 1440, ['energy']],
        [iso(4320), iso(4499), 180, ['energy']],
      ]);
      const code = await runServer(
        ['audit-verify'],
        { DATA_DIR: t.dataDir, DATABASE_URL: t.config.database.type === 'postgres' ? t.config.database.url : '' },
        { out: () => undefined, err: () => undefined },
      );
      expect(code).toBe(0);
    });

    it('creates partitions ahead by the clock it is given, and drops every month past everyone’s retention', async () => {
      const far = await retention.run(utc(2031, 5, 31, 23));
      expect(far.partitionsCreated).toEqual(['measurements_p203105', 'measurements_p203106', 'measurements_p203107', 'measurements_p203108']);
      expect(await partitions()).not.toContain('measurements_p203109');
      // Everything of 2026 is years past everyone's 30 days: its months go whole (the 6 values left), none stays.
      expect(far.partitionsDropped).toEqual(expect.arrayContaining(['measurements_p202610', 'measurements_p202611']));
      expect(far.partitionsDropped.every((p) => p < 'measurements_p203105')).toBe(true);
      expect(far.deleted.raw).toBe(6);
      expect(await partitions()).toEqual([
        'measurements_default',
        'measurements_p203105',
        'measurements_p203106',
        'measurements_p203107',
        'measurements_p203108',
      ]);
    });
  });
});
