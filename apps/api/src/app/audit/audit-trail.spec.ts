import { appendFileSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import request from 'supertest';
import { seedDevice, startTestApp, TestApp } from '../../testing/test-app';
import { waitFor } from '../../testing/wait';
import { createApp } from '../bootstrap';
import { sha256 } from '../common/sha256';
import { Database } from '../database/database.service';
import { verifyAuditChain } from './audit-chain';
import { encodeAuditEntries } from './audit-outbox';

/**
 * What a crash or a full disk leaves behind, and how the next start completes the trail:
 * a torn last line, batches committed but never appended, batches appended but whose outbox
 * row was not deleted yet.
 */
describe('audit trail start-up repair', () => {
  let t: TestApp;
  let deviceId: number;
  let uid: string;
  const T0 = Date.UTC(2026, 10, 27, 8, 0);
  const at = (i: number) => T0 + i * 60_000;

  beforeAll(async () => {
    t = await startTestApp();
    ({ deviceId, uid } = await seedDevice(t.http));
  });
  afterAll(() => t.close());

  const lines = () => readFileSync(t.config.auditLogPath, 'utf8').split('\n').filter(Boolean);
  const outboxRows = async () => Number((await t.app.get(Database).query<{ n: number | string }>('SELECT COUNT(*) AS n FROM audit_outbox'))[0].n);
  const restart = async () => {
    await t.app.close();
    t.app = await createApp(t.config);
    await t.app.listen(0, '127.0.0.1');
  };
  const call = () => request(t.app.getHttpServer()).post('/api/ingest').set('Authorization', `Bearer ${t.adminToken}`);

  it('removes a torn last line at start, says so in the log, and goes on with the chain', async () => {
    await call()
      .send({ readings: [0, 1].map((i) => ({ deviceId, timestamp: at(i), metrics: { voltage: 230 + i } })) })
      .expect(200);
    await t.app.close();
    const complete = statSync(t.config.auditLogPath).size;
    // What a disk that filled in the middle of a line leaves: a line without its end.
    appendFileSync(t.config.auditLogPath, '{"seq":3,"ts":"2026-11-27T08:02:00.000Z","deviceId":1,"deviceUid":"x","source":"api","metrics":{"volta');
    const logged: string[] = [];
    const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => (logged.push(String(chunk)), true));
    try {
      t.app = await createApp({ ...t.config, logLevel: 'warn' });
      await t.app.listen(0, '127.0.0.1');
    } finally {
      spy.mockRestore();
    }
    expect(statSync(t.config.auditLogPath).size).toBe(complete);
    expect(logged.join('')).toMatch(/ended with an incomplete line \(\d+ bytes/);
    await call()
      .send({ readings: [{ deviceId, timestamp: at(2), metrics: { voltage: 232 } }] })
      .expect(200);
    const all = lines();
    expect(all).toHaveLength(3);
    expect(JSON.parse(all[2])).toMatchObject({ seq: 3, prev: sha256(all[1]), metrics: { voltage: 232 } });
    expect(await verifyAuditChain(t.config.auditLogPath)).toEqual({ ok: true, lines: 3 });
  });

  it('appends at start the batches committed before a stop that never reached the file, and none twice', async () => {
    const db = t.app.get(Database);
    const trail = readFileSync(`${t.config.auditLogPath}.id`, 'utf8').trim();
    const entry = (i: number, metrics: Record<string, number>) => ({ ts: new Date(at(i)).toISOString(), deviceId, deviceUid: uid, source: 'api', metrics });
    // Committed with their outbox row, then the process died before the append (readings 3 and 4):
    // the rows and their readings are in the database, the file knows nothing of them.
    await db.transaction(async (m) => {
      for (const i of [3, 4])
        await m.query(db.sql('INSERT INTO measurements (device_id, metric, ts, value, source) VALUES (?, ?, ?, ?, ?)'), [
          deviceId,
          'voltage',
          at(i),
          230 + i,
          'api',
        ]);
      await m.query(db.sql('INSERT INTO audit_outbox (trail, entries, created_at) VALUES (?, ?, ?)'), [
        trail,
        encodeAuditEntries([entry(3, { voltage: 233 }), entry(4, { voltage: 234 })]),
        Date.now(),
      ]);
      // Appended, then the process died before the row was deleted (readings 1 and 2 are lines 2 and 3).
      await m.query(db.sql('INSERT INTO audit_outbox (trail, entries, created_at) VALUES (?, ?, ?)'), [
        trail,
        encodeAuditEntries([entry(1, { voltage: 231 }), entry(2, { voltage: 232 })]),
        Date.now(),
      ]);
      // Another instance's trail (on a shared PostgreSQL database): not this one's to write.
      await m.query(db.sql('INSERT INTO audit_outbox (trail, entries, created_at) VALUES (?, ?, ?)'), [
        'another-instance',
        encodeAuditEntries([entry(9, { voltage: 239 })]),
        Date.now(),
      ]);
    });
    expect(lines()).toHaveLength(3);

    await restart();

    const all = lines().map((l) => JSON.parse(l));
    expect(all.map((l) => [l.seq, l.ts, l.metrics.voltage])).toEqual([
      [1, new Date(at(0)).toISOString(), 230],
      [2, new Date(at(1)).toISOString(), 231],
      [3, new Date(at(2)).toISOString(), 232],
      [4, new Date(at(3)).toISOString(), 233],
      [5, new Date(at(4)).toISOString(), 234],
    ]);
    expect(await verifyAuditChain(t.config.auditLogPath)).toEqual({ ok: true, lines: 5 });
    // This trail's rows go once the lines are synced; the other instance's row stays for it.
    await waitFor('the outbox rows of the appended lines to be deleted', async () => (await outboxRows()) === 1);
    expect((await t.app.get(Database).query<{ trail: string }>('SELECT trail FROM audit_outbox'))[0].trail).toBe('another-instance');
    await t.app.get(Database).transaction((m) => m.query("DELETE FROM audit_outbox WHERE trail = 'another-instance'"));
  });

  it('completes a batch whose write was cut short: only its missing lines are appended', async () => {
    await call()
      .send({ readings: [5, 6, 7].map((i) => ({ deviceId, timestamp: at(i), metrics: { voltage: 230 + i, current: i } })) })
      .expect(200);
    await waitFor('the outbox to be emptied', async () => (await outboxRows()) === 0);
    // As if the process had died after writing the batch's first two lines, its row not deleted yet.
    const db = t.app.get(Database);
    const trail = readFileSync(`${t.config.auditLogPath}.id`, 'utf8').trim();
    const entries = [5, 6, 7].map((i) => ({
      ts: new Date(at(i)).toISOString(),
      deviceId,
      deviceUid: uid,
      source: 'api',
      metrics: { voltage: 230 + i, current: i },
    }));
    await db.transaction((m) =>
      m.query(db.sql('INSERT INTO audit_outbox (trail, entries, created_at) VALUES (?, ?, ?)'), [trail, encodeAuditEntries(entries), Date.now()]),
    );
    await t.app.close();
    writeFileSync(t.config.auditLogPath, lines().slice(0, -1).join('\n') + '\n');

    t.app = await createApp(t.config);
    await t.app.listen(0, '127.0.0.1');

    const all = lines().map((l) => JSON.parse(l));
    expect(all.slice(5).map((l) => [l.seq, l.ts, l.metrics])).toEqual([
      [6, new Date(at(5)).toISOString(), { voltage: 235, current: 5 }],
      [7, new Date(at(6)).toISOString(), { voltage: 236, current: 6 }],
      [8, new Date(at(7)).toISOString(), { voltage: 237, current: 7 }],
    ]);
    expect(await verifyAuditChain(t.config.auditLogPath)).toEqual({ ok: true, lines: 8 });
  });
});
