import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { seedDevice, startTestApp, TestApp } from '../../testing/test-app';
import type { AuditRecord } from '../audit/audit-chain';
import { AuditTrailService } from '../audit/audit-trail.service';
import { Database } from '../database/database.service';
import { runServer } from '../server';
import { RETENTION_BATCH_ROWS, RetentionService } from './retention.service';

/**
 * The retention job with a fake clock, on a real database, through the real app: what goes and
 * what stays per client, what the forwarder still needs, the audit lines and audit-verify, the
 * status route, and the per-client override.
 *
 * The clock: 2026-11-15 03:00 UTC. RETENTION_RAW_DAYS=10 puts the raw cut at 2026-11-05 00:00
 * (midnight of the day 10 days before today's); RETENTION_1M_DAYS=12 puts the 1-minute cut at
 * 2026-11-03 00:00.
 */
describe('retention job', () => {
  const NOW = Date.UTC(2026, 10, 15, 3, 0);
  const day = (d: number, hour = 0, minute = 0) => Date.UTC(2026, 10, d, hour, minute);
  const iso = (ms: number) => new Date(ms).toISOString();
  let t: TestApp;
  let db: Database;
  let a: { clientId: number; deviceId: number; uid: string };
  let b: { clientId: number; deviceId: number; uid: string };
  let c: { deviceId: number; uid: string };
  let d: { deviceId: number; uid: string };

  /** Six days (Nov 1-6) of readings every 6 hours, two metrics: 48 values. */
  const sixDays = (deviceId: number) =>
    Array.from({ length: 24 }, (_, i) => {
      const dayOfMonth = 1 + Math.floor(i / 4);
      const slot = i % 4;
      return { deviceId, timestamp: day(dayOfMonth, slot * 6), metrics: { voltage: 230 + dayOfMonth + slot / 10, current: dayOfMonth * 10 + slot } };
    });
  const count = async (sql: string, params: unknown[]) => Number((await db.query<{ n: number | string }>(sql, params))[0].n);
  const rowsOf = (deviceId: number, from: number, to: number) =>
    count('SELECT COUNT(*) AS n FROM measurements WHERE device_id = ? AND ts >= ? AND ts < ?', [deviceId, from, to]);
  const sql = (text: string, params: unknown[] = []) => db.transaction((m) => m.query(db.sql(text), params));
  const auditLines = () =>
    readFileSync(t.config.auditLogPath, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as AuditRecord);
  const verify = async () => {
    const out: string[] = [];
    const err: string[] = [];
    const env = { DATA_DIR: t.dataDir, ...(t.config.database.type === 'postgres' && { DATABASE_URL: t.config.database.url }) };
    const code = await runServer(['audit-verify'], env, { out: (l) => out.push(l), err: (l) => err.push(l) });
    return { code, out, err };
  };
  /** audit-verify's checksum, worked out here on its own: the sum mod 2^64 of the first 64 bits of SHA-256(metric|ts|value). */
  const checksumOf = (values: Array<[string, number, number]>) => {
    let sum = 0n;
    for (const [metric, ts, value] of values)
      sum = (sum + BigInt('0x' + createHash('sha256').update(`${metric}|${ts}|${value}`).digest('hex').slice(0, 16))) % 2n ** 64n;
    return sum.toString(16).padStart(16, '0');
  };

  beforeAll(async () => {
    // Forwarding on, towards a port nobody listens on: every stored reading waits in the outbox, unconfirmed.
    t = await startTestApp({
      RETENTION_RAW_DAYS: '10',
      RETENTION_1M_DAYS: '12',
      FORWARDER_URL: 'http://127.0.0.1:9',
      FORWARDER_BACKOFF_MIN_MS: '60000',
      FORWARDER_BACKOFF_MAX_MS: '60000',
    });
    db = t.app.get(Database);
    a = await seedDevice(t.http, 'Meter A', 'Client A');
    b = await seedDevice(t.http, 'Meter B', 'Client B');
    const more = await t.http.post('/api/devices').send({ clientId: a.clientId, name: 'Meter C', deviceType: 'api' }).expect(201);
    c = { deviceId: more.body.id, uid: more.body.uid };
    const big = await t.http.post('/api/devices').send({ clientId: a.clientId, name: 'Meter D', deviceType: 'api' }).expect(201);
    d = { deviceId: big.body.id, uid: big.body.uid };
    for (const device of [a, b, c])
      await t.http
        .post('/api/ingest')
        .send({ readings: sixDays(device.deviceId) })
        .expect(200);
    // Meter D: Nov 3, a reading every 20 s of two metrics: 4,320 instants, 8,640 values.
    await t.http
      .post('/api/ingest')
      .send({
        readings: Array.from({ length: 4320 }, (_, i) => ({ deviceId: d.deviceId, timestamp: day(3) + i * 20_000, metrics: { power: i, energy: i / 2 } })),
      })
      .expect(200);

    // What the slave has confirmed (as Forwarder.delivered deletes them): all of A, C and D; B up to Nov 2 06:00.
    await sql('DELETE FROM forward_outbox WHERE device_id IN (?, ?, ?)', [a.deviceId, c.deviceId, d.deviceId]);
    await sql('DELETE FROM forward_outbox WHERE device_id = ? AND ts < ?', [b.deviceId, day(2, 12)]);
    // C overflowed the outbox from Nov 4 06:00 on: the catch-up will re-queue that range from the measurements.
    await sql('INSERT INTO forward_overflow (device_id, ts_min, ts_max, since) VALUES (?, ?, ?, ?)', [c.deviceId, day(4, 6), day(6, 18), Date.now()]);
    // Client B keeps raw readings 12 days (cut Nov 3): platform staff set it.
    const patched = await t.http
      .patch(`/api/clients/${b.clientId}`)
      .send({ retention: { rawDays: 12 } })
      .expect(200);
    expect(patched.body.retention).toEqual({ rawDays: 12, oneMinuteDays: null, fifteenMinuteDays: null, oneHourDays: null });

    // The rollups ingest made of these readings go: the counts below are of the hand-made ones.
    await sql('DELETE FROM rollup_pending', []);
    await sql('DELETE FROM rollups', []);
    // Rollups of A around the 1-minute cut (Nov 3 00:00), and 15-minute and hourly ones from Nov 1 (kept forever).
    const rollup = (bucketMs: number, bucket: number) =>
      sql(
        `INSERT INTO rollups (device_id, metric, bucket_ms, bucket, value_count, value_sum, value_min, value_max, value_mean, value_m2, ts_mean, ts_m2, ts_value_c, first_ts, first_value, last_ts, last_value)
         VALUES (?, 'voltage', ?, ?, 1, 230, 230, 230, 230, 0, ?, 0, 0, ?, 230, ?, 230)`,
        [a.deviceId, bucketMs, bucket, bucket, bucket, bucket],
      );
    await rollup(60_000, day(2, 23, 59));
    await rollup(60_000, day(3));
    await rollup(900_000, day(1));
    await rollup(3_600_000, day(1));
  });
  afterAll(() => t.close());

  it('deletes raw readings before each device’s cut, holds back what the slave has not confirmed, and 1-minute rollups past theirs', async () => {
    const report = await t.app.get(RetentionService).run(NOW);

    // A: cut Nov 5: Nov 1-4 go (4 days × 4 readings × 2 metrics = 32), Nov 5-6 stay (16).
    expect(await rowsOf(a.deviceId, 0, day(5))).toBe(0);
    expect(await rowsOf(a.deviceId, day(5), day(7))).toBe(16);
    // B: its client keeps 12 days (cut Nov 3), and the slave has not confirmed Nov 2 12:00: Nov 2's day stays; only Nov 1 goes (8).
    expect(await rowsOf(b.deviceId, 0, day(2))).toBe(0);
    expect(await rowsOf(b.deviceId, day(2), day(7))).toBe(40);
    // C: an overflow range from Nov 4 06:00 holds back Nov 4's day: Nov 1-3 go (24), Nov 4-6 stay (24).
    expect(await rowsOf(c.deviceId, 0, day(4))).toBe(0);
    expect(await rowsOf(c.deviceId, day(4), day(7))).toBe(24);
    // D: all of Nov 3 goes.
    expect(await rowsOf(d.deviceId, 0, day(7))).toBe(0);

    expect(report.deleted).toEqual({ raw: 32 + 8 + 24 + 8640, '1m': 1, '15m': 0, '1h': 0 });
    expect(report.heldBackDevices.sort()).toEqual([b.deviceId, c.deviceId].sort());
    expect(await count('SELECT COUNT(*) AS n FROM rollups WHERE bucket_ms = 60000 AND bucket = ?', [day(2, 23, 59)])).toBe(0);
    expect(await count('SELECT COUNT(*) AS n FROM rollups', [])).toBe(3);

    // A second run the same day finds nothing more to delete.
    expect((await t.app.get(RetentionService).run(NOW)).deleted).toEqual({ raw: 0, '1m': 0, '15m': 0, '1h': 0 });
  });

  it('writes one audit line per deletion: device, metrics, first and last instant, count and checksum of the values', async () => {
    const lines = auditLines().filter((l) => l.event === 'retention-deleted');
    const ofA = lines.filter((l) => l.deviceId === a.deviceId);
    expect(ofA.map((l) => l.deleted)).toEqual(
      [1, 2, 3, 4].map((dayOfMonth) => ({
        reason: 'retention',
        metrics: ['current', 'voltage'],
        from: iso(day(dayOfMonth)),
        to: iso(day(dayOfMonth, 18)),
        count: 8,
        checksum: checksumOf(
          sixDays(a.deviceId)
            .filter((r) => new Date(r.timestamp).getUTCDate() === dayOfMonth)
            .flatMap(
              (r): Array<[string, number, number]> => [
                ['voltage', r.timestamp, r.metrics.voltage],
                ['current', r.timestamp, r.metrics.current],
              ],
            ),
        ),
      })),
    );
    expect(ofA.every((l) => l.deviceUid === a.uid && l.ts === iso(NOW) && l.actor === 'retention job' && Object.keys(l.metrics).length === 0)).toBe(true);
    // D's 8,640 values in batches of at most RETENTION_BATCH_ROWS (4,000: 2,000 instants of 2 metrics): 4,000 + 4,000 + 640.
    expect(RETENTION_BATCH_ROWS).toBe(4000);
    const ofD = lines.filter((l) => l.deviceId === d.deviceId).map((l) => l.deleted);
    expect(ofD.map((x) => x?.count)).toEqual([4000, 4000, 640]);
    expect(ofD.map((x) => [x?.from, x?.to])).toEqual([
      [iso(day(3)), iso(day(3) + 1999 * 20_000)],
      [iso(day(3) + 2000 * 20_000), iso(day(3) + 3999 * 20_000)],
      [iso(day(3) + 4000 * 20_000), iso(day(3) + 4319 * 20_000)],
    ]);
    expect(lines.filter((l) => l.deviceId === b.deviceId).map((l) => [l.deleted?.from, l.deleted?.count])).toEqual([[iso(day(1)), 8]]);
    expect(lines.filter((l) => l.deviceId === c.deviceId).map((l) => l.deleted?.count)).toEqual([8, 8, 8]);
  });

  it('audit-verify accounts for the deleted values, and still finds a value deleted behind its back', async () => {
    const ok = await verify();
    expect(ok.err).toEqual([]);
    expect(ok.out[1]).toContain(`80 value(s) of 3 device(s)`);
    // 32 + 8 + 24 + 8,640, as the first run deleted them.
    expect(ok.out[1]).toContain(`8,704 value(s) deleted by retention, as its retention-deleted lines record`);
    expect(ok.code).toBe(0);

    const voltageA = 230 + 5; // A's voltage on Nov 5 at 00:00
    await sql('DELETE FROM measurements WHERE device_id = ? AND metric = ? AND ts = ?', [a.deviceId, 'voltage', day(5)]);
    const broken = await verify();
    expect(broken.code).toBe(1);
    expect(broken.err[0]).toMatch(/DISAGREE on 1 device\(s\)/);
    expect(broken.err.join('\n')).toContain(`1 audited value(s) not in the database: voltage at ${iso(day(5))} = ${voltageA}`);
    await sql('INSERT INTO measurements (device_id, metric, ts, value, source) VALUES (?, ?, ?, ?, ?)', [a.deviceId, 'voltage', day(5), voltageA, 'api']);
    expect((await verify()).code).toBe(0);
  });

  it('a value deleted behind its back before retention deleted the rest of its day still shows', async () => {
    // B's current on Nov 2 at 06:00 is deleted by hand; a later run (clock one day on, the slave confirmed everything) deletes the rest of Nov 2.
    await sql('DELETE FROM measurements WHERE device_id = ? AND metric = ? AND ts = ?', [b.deviceId, 'current', day(2, 6)]);
    await sql('DELETE FROM forward_outbox WHERE device_id = ?', [b.deviceId]);
    // Clock on Nov 16: raw cut Nov 6 (A loses Nov 5: 8), B's cut Nov 4 (Nov 2's 7 left and Nov 3's 8), C still held at Nov 4 by its overflow.
    const report = await t.app.get(RetentionService).run(NOW + 86_400_000);
    expect(report.deleted).toEqual({ raw: 8 + 7 + 8, '1m': 1, '15m': 0, '1h': 0 });
    const broken = await verify();
    expect(broken.code).toBe(1);
    expect(broken.err.join('\n')).toContain(`1 audited value(s) not in the database: current at ${iso(day(2, 6))} = 21`);
  });

  it('tells platform staff per resolution what it holds, the retention in force and the last run; nobody else', async () => {
    const status = (await t.http.get('/api/retention/status').expect(200)).body;
    // After the second run (Nov 16): A 8, B 40 − 1 − 15 = 24, C 24; rollups: one of each resolution left.
    expect(
      status.resolutions.map(
        (r: { resolution: string; rows: number; retentionDays: number | null; clientsWithOwnRetention: number; deletedLastRun: number }) => [
          r.resolution,
          r.rows,
          r.retentionDays,
          r.clientsWithOwnRetention,
          r.deletedLastRun,
        ],
      ),
    ).toEqual([
      ['raw', 56, 10, 1, 23],
      ['1m', 0, 12, 0, 1],
      ['15m', 1, null, 0, 0],
      ['1h', 1, null, 0, 0],
    ]);
    const raw = status.resolutions[0];
    expect(raw.bytesMeasuredBy).toBe(t.config.database.type === 'sqlite' ? 'dbstat' : 'pg_total_relation_size');
    expect(raw.bytes).toBeGreaterThan(0);
    expect(status.lastRun.startedAt).toBe(iso(NOW + 86_400_000));
    expect(status.lastRun.partitionsDropped).toBe(0);

    const clientAdmin = await t.userAgent('admin', a.clientId);
    await clientAdmin.get('/api/retention/status').expect(403);
    const staffViewer = await t.userAgent('viewer', null);
    await staffViewer.get('/api/retention/status').expect(403);
  });

  it('lets platform staff set a client’s own retention (null: the default again), refuses its users, and names a bad field', async () => {
    const clientAdmin = await t.userAgent('admin', a.clientId);
    const refused = await clientAdmin
      .patch(`/api/clients/${a.clientId}`)
      .send({ retention: { rawDays: 3650 } })
      .expect(403);
    expect(refused.body.message).toMatch(/platform staff/);
    // Its own name it may still change; another client's retention is not even found.
    await clientAdmin.patch(`/api/clients/${a.clientId}`).send({ name: 'Client A Ltda' }).expect(200);
    await clientAdmin
      .patch(`/api/clients/${b.clientId}`)
      .send({ retention: { rawDays: 1 } })
      .expect(404);

    for (const [bad, message] of [
      [0, 'rawDays must not be less than 1'],
      [1.5, 'must be a whole number of days'],
    ] as const) {
      const res = await t.http
        .patch(`/api/clients/${b.clientId}`)
        .send({ retention: { rawDays: bad } })
        .expect(400);
      expect(res.body.errors).toEqual([{ field: 'retention.rawDays', message }]);
    }
    const text = await t.http
      .patch(`/api/clients/${b.clientId}`)
      .send({ retention: { rawDays: '30' } })
      .expect(400);
    expect(text.body.errors).toContainEqual({ field: 'retention.rawDays', message: 'must be a whole number of days' });
    expect(text.body.errors.every((e: { field: string }) => e.field === 'retention.rawDays')).toBe(true);
    const unknown = await t.http
      .patch(`/api/clients/${b.clientId}`)
      .send({ retention: { rawdays: 5 } })
      .expect(400);
    expect(unknown.body.errors).toEqual([{ field: 'retention.rawdays', message: 'is not a known field' }]);

    const set = await t.http
      .patch(`/api/clients/${b.clientId}`)
      .send({ retention: { oneMinuteDays: 400, oneHourDays: 3650 } })
      .expect(200);
    expect(set.body.retention).toEqual({ rawDays: 12, oneMinuteDays: 400, fifteenMinuteDays: null, oneHourDays: 3650 });
    const back = await t.http
      .patch(`/api/clients/${b.clientId}`)
      .send({ retention: { rawDays: null } })
      .expect(200);
    expect(back.body.retention).toEqual({ rawDays: null, oneMinuteDays: 400, fifteenMinuteDays: null, oneHourDays: 3650 });
    expect((await t.http.get(`/api/clients/${b.clientId}`).expect(200)).body.retention.rawDays).toBeNull();
  });

  it('audit-verify counts a deletion whose line still waits in the audit outbox, and counts it once when it is in both', async () => {
    // The value the test before deleted by hand goes back: what is left of its day then agrees again.
    await sql('INSERT INTO measurements (device_id, metric, ts, value, source) VALUES (?, ?, ?, ?, ?)', [b.deviceId, 'current', day(2, 6), 21, 'api']);
    expect((await verify()).code).toBe(0);
    // A's Nov 6: 8 values, deleted and staged as the job does, the line not yet appended (a stop between commit and append).
    const values = sixDays(a.deviceId)
      .filter((r) => new Date(r.timestamp).getUTCDate() === 6)
      .flatMap(
        (r): Array<[string, number, number]> => [
          ['voltage', r.timestamp, r.metrics.voltage],
          ['current', r.timestamp, r.metrics.current],
        ],
      );
    const audit = t.app.get(AuditTrailService);
    const batch = await db.transaction(async (m) => {
      await m.query(db.sql('DELETE FROM measurements WHERE device_id = ? AND ts >= ? AND ts < ?'), [a.deviceId, day(6), day(7)]);
      return audit.stage(m, [
        {
          ts: iso(NOW + 2 * 86_400_000),
          deviceId: a.deviceId,
          deviceUid: a.uid,
          source: 'retention',
          metrics: {},
          event: 'retention-deleted',
          actor: 'retention job',
          deleted: { reason: 'retention', metrics: ['current', 'voltage'], from: iso(day(6)), to: iso(day(6, 18)), count: 8, checksum: checksumOf(values) },
        },
      ]);
    });
    const waiting = await verify();
    expect(waiting.err).toEqual([]);
    expect(waiting.out[1]).toContain(`${(8704 + 23 + 8).toLocaleString('en')} value(s) deleted by retention`);
    // Appended: the line is in the file, and its outbox row is still there too (for about a second; kept here
    // whatever the clean-up timer does meanwhile: the row is put back as it was).
    const [row] = await db.query<{ trail: string; entries: string; created_at: number }>('SELECT trail, entries, created_at FROM audit_outbox WHERE id = ?', [
      batch?.id,
    ]);
    await audit.append(batch);
    await sql('DELETE FROM audit_outbox WHERE id = ?', [batch?.id]);
    await sql('INSERT INTO audit_outbox (trail, entries, created_at) VALUES (?, ?, ?)', [row.trail, row.entries, row.created_at]);
    expect(auditLines().filter((l) => l.deleted?.from === iso(day(6)))).toHaveLength(1);
    const both = await verify();
    expect(both.err).toEqual([]);
    expect(both.out[1]).toContain(`${(8704 + 23 + 8).toLocaleString('en')} value(s) deleted by retention`);
  });

  it('deletes 15-minute and hourly rollups too when a retention is set for them (kept forever by default)', async () => {
    await t.http
      .patch(`/api/clients/${a.clientId}`)
      .send({ retention: { fifteenMinuteDays: 3, oneHourDays: 1 } })
      .expect(200);
    // Nov 17: A's 15-minute cut Nov 14, hourly cut Nov 16: its buckets of Nov 1 go. B (back to the platform's 10 days: cut Nov 7)
    // loses its Nov 2 value put back above and Nov 4-6 (24); C is still held at Nov 4.
    const report = await t.app.get(RetentionService).run(NOW + 2 * 86_400_000);
    expect(report.deleted).toEqual({ raw: 1 + 24, '1m': 0, '15m': 1, '1h': 1 });
    expect(await count('SELECT COUNT(*) AS n FROM rollups', [])).toBe(0);
    expect((await verify()).code).toBe(0);
  });
});
