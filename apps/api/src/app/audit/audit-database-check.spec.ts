import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { seedDevice, startTestApp, TestApp } from '../../testing/test-app';
import { waitFor } from '../../testing/wait';
import { Database } from '../database/database.service';
import { runServer } from '../server';
import { checkAuditAgainstDatabase } from './audit-database-check';
import { encodeAuditEntries } from './audit-outbox';

/** npm run audit:verify: the chain, then the audit trail against the database, device by device. */
describe('audit:verify against the database', () => {
  let t: TestApp;
  let db: Database;
  let a: { deviceId: number; uid: string };
  let b: { deviceId: number; uid: string };
  const T0 = Date.UTC(2026, 10, 28, 23, 58);
  const at = (i: number) => T0 + i * 60_000;
  const iso = (i: number) => new Date(at(i)).toISOString();

  beforeAll(async () => {
    t = await startTestApp();
    db = t.app.get(Database);
    a = await seedDevice(t.http, 'Meter A');
    b = await seedDevice(t.http, 'Meter B', 'Client B');
    // Device A: 6 readings of 2 metrics across midnight (two days); device B: 3 readings of 1 metric.
    await t.http
      .post('/api/ingest')
      .send({ readings: Array.from({ length: 6 }, (_, i) => ({ deviceId: a.deviceId, timestamp: at(i), metrics: { voltage: 230 + i / 10, current: 1 + i } })) })
      .expect(200);
    await t.http
      .post('/api/ingest')
      .send({ readings: Array.from({ length: 3 }, (_, i) => ({ deviceId: b.deviceId, timestamp: at(i), metrics: { power: 100 * (i + 1) } })) })
      .expect(200);
  });
  afterAll(() => t.close());

  const env = () => ({ DATA_DIR: t.dataDir, ...(t.config.database.type === 'postgres' && { DATABASE_URL: t.config.database.url }) });
  const verify = async () => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runServer(['audit-verify'], env(), { out: (l) => out.push(l), err: (l) => err.push(l) });
    return { code, out, err };
  };
  const sql = (text: string, params: unknown[]) => db.transaction((m) => m.query(db.sql(text), params));

  it('agrees when every stored value has its line: 15 values of 2 devices', async () => {
    const { code, out } = await verify();
    expect(out[0]).toMatch(/Audit trail intact: 9 line\(s\) verified/);
    expect(out[1]).toMatch(/agrees with the audit trail: 15 value\(s\) of 2 device\(s\), count and checksum equal per device/);
    expect(code).toBe(0);
  });

  it('names a reading deleted from the database, with its metric, time and value, and exits 1', async () => {
    await sql('DELETE FROM measurements WHERE device_id = ? AND metric = ? AND ts = ?', [a.deviceId, 'current', at(4)]);
    const { code, err } = await verify();
    expect(code).toBe(1);
    expect(err[0]).toMatch(/DISAGREE on 1 device\(s\)/);
    expect(err[1]).toContain(`device ${a.deviceId} (${a.uid}): database 11 value(s)`);
    expect(err[1]).toContain('audit trail 12 value(s)');
    expect(err[2]).toBe(`    1 audited value(s) not in the database: current at ${iso(4)} = 5`);
    await sql('INSERT INTO measurements (device_id, metric, ts, value, source) VALUES (?, ?, ?, ?, ?)', [a.deviceId, 'current', at(4), 5, 'api']);
    expect((await verify()).code).toBe(0);
  });

  it('names stored readings that have no audit line (the first 10, and how many more), and a value changed in the database', async () => {
    // 12 values of device B nobody audited, on the second day; one of device A's values edited.
    for (let i = 10; i < 22; i++)
      await sql('INSERT INTO measurements (device_id, metric, ts, value, source) VALUES (?, ?, ?, ?, ?)', [b.deviceId, 'power', at(i), 7, 'api']);
    await sql('UPDATE measurements SET value = ? WHERE device_id = ? AND metric = ? AND ts = ?', [999, a.deviceId, 'voltage', at(1)]);
    const { code, err } = await verify();
    expect(code).toBe(1);
    expect(err[0]).toMatch(/DISAGREE on 2 device\(s\)/);
    const text = err.join('\n');
    expect(text).toContain(`    1 audited value(s) not in the database: voltage at ${iso(1)} = 230.1 (database: 999)`);
    const missing = err.find((l) => l.includes('stored value(s) with no audit line')) as string;
    expect(missing).toMatch(/^ {4}12 stored value\(s\) with no audit line: /);
    expect(missing).toContain(`power at ${iso(10)} = 7; power at ${iso(11)} = 7`);
    expect(missing).toContain(`power at ${iso(19)} = 7; and 2 more`);
    expect(missing).not.toContain(iso(20));
    await sql('DELETE FROM measurements WHERE device_id = ? AND ts >= ?', [b.deviceId, at(10)]);
    await sql('UPDATE measurements SET value = ? WHERE device_id = ? AND metric = ? AND ts = ?', [230.1, a.deviceId, 'voltage', at(1)]);
    expect((await verify()).code).toBe(0);
  });

  it('counts a batch committed whose lines still wait in the outbox as audited, and only once when its lines are also in the file', async () => {
    const trail = readFileSync(`${t.config.auditLogPath}.id`, 'utf8').trim();
    const entry = (i: number) => ({ ts: iso(i), deviceId: b.deviceId, deviceUid: b.uid, source: 'api', metrics: { power: 50 } });
    await db.transaction(async (m) => {
      await m.query(db.sql('INSERT INTO measurements (device_id, metric, ts, value, source) VALUES (?, ?, ?, ?, ?)'), [b.deviceId, 'power', at(30), 50, 'api']);
      // Waiting: not in the file yet.
      await m.query(db.sql('INSERT INTO audit_outbox (trail, entries, created_at) VALUES (?, ?, ?)'), [
        'stopped-instance',
        encodeAuditEntries([entry(30)]),
        Date.now(),
      ]);
      // Already in the file (reading 0 of device B), row not deleted yet.
      await m.query(db.sql('INSERT INTO audit_outbox (trail, entries, created_at) VALUES (?, ?, ?)'), [
        trail,
        encodeAuditEntries([{ ...entry(0), metrics: { power: 100 } }]),
        Date.now(),
      ]);
    });
    const report = await checkAuditAgainstDatabase([t.config.auditLogPath], t.config.database);
    expect(report).toMatchObject({ ok: true, devices: 2, values: 16, waiting: 1 });
    await db.transaction(async (m) => {
      // The running server deletes only the rows it wrote itself; these two are the test's.
      await m.query(db.sql('DELETE FROM audit_outbox WHERE trail IN (?, ?)'), ['stopped-instance', trail]);
      await m.query(db.sql('DELETE FROM measurements WHERE device_id = ? AND ts = ?'), [b.deviceId, at(30)]);
    });
  });

  it('accounts for a device deleted with its readings by its device-purged line', async () => {
    await t.http.delete(`/api/devices/${b.deviceId}?purge=true`).expect(204);
    const last = JSON.parse(readFileSync(t.config.auditLogPath, 'utf8').trimEnd().split('\n').pop() as string);
    expect(last).toMatchObject({ event: 'device-purged', deviceId: b.deviceId, deviceUid: b.uid, purgedValues: 3, metrics: {} });
    expect(last.actor).toMatch(/^user \d+ \(admin@test\.local\)$/);
    const { code, out } = await verify();
    expect(out[1]).toMatch(/agrees with the audit trail: 12 value\(s\) of 1 device\(s\).*1 device\(s\) deleted with their readings/);
    expect(code).toBe(0);
  });

  it('checks the chain first, and the file alone with --chain-only', async () => {
    const copy = join(t.dataDir, 'copy.log');
    const lines = readFileSync(t.config.auditLogPath, 'utf8').trimEnd().split('\n');
    writeFileSync(copy, lines.slice(0, 2).join('\n') + '\n');
    const out: string[] = [];
    const io = { out: (l: string) => out.push(l), err: (l: string) => out.push(l) };
    // A copy of the first two lines: its chain holds, but the database has far more.
    expect(await runServer(['audit-verify', copy, '--chain-only'], env(), io)).toBe(0);
    expect(out).toEqual([`Audit trail intact: 2 line(s) verified in ${copy}`]);
    // Once the outbox rows of the lines written are gone, only the file speaks for them.
    await waitFor('the audit outbox to be emptied', async () => (await db.query('SELECT id FROM audit_outbox')).length === 0);
    expect(await runServer(['audit-verify', copy], env(), io)).toBe(1);
    expect(out[2]).toMatch(/DISAGREE on 1 device\(s\)/);
  });
});
