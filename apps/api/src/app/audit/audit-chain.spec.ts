import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { seedDevice, startTestApp, TestApp } from '../../testing/test-app';
import { runServer } from '../server';
import { sha256 } from '../common/sha256';
import { verifyAuditChain } from './audit-chain';

describe('audit trail', () => {
  let t: TestApp;
  let path: string;
  let deviceId: number;
  let uid: string;

  beforeAll(async () => {
    t = await startTestApp();
    path = t.config.auditLogPath;
    ({ deviceId, uid } = await seedDevice(t.http));
    const readings = Array.from({ length: 5 }, (_, i) => ({
      deviceId,
      timestamp: Date.UTC(2026, 10, 26, 9, i),
      metrics: { voltage: 230 + i, energy: 1000 + i },
    }));
    await t.http.post('/api/ingest').send({ readings }).expect(200);
    // A retried batch stores nothing and writes no line.
    await t.http.post('/api/ingest').send({ readings }).expect(200);
  });
  afterAll(() => t.close());

  const lines = () => readFileSync(path, 'utf8').trimEnd().split('\n');

  it('writes one chained line per stored reading', async () => {
    const all = lines();
    expect(all).toHaveLength(5);
    const first = JSON.parse(all[0]);
    expect(first).toMatchObject({
      seq: 1,
      deviceId,
      deviceUid: uid,
      source: 'api',
      metrics: { voltage: 230, energy: 1000 },
      ts: '2026-11-26T09:00:00.000Z',
      prev: '0'.repeat(64),
    });
    expect(JSON.parse(all[1]).prev).toBe(sha256(all[0]));
    expect(await verifyAuditChain(path)).toEqual({ ok: true, lines: 5 });
  });

  it('detects an edited, a deleted and an inserted line', async () => {
    const original = lines();
    const check = async (edited: string[]) => {
      const copy = join(t.dataDir, 'tampered.log');
      writeFileSync(copy, edited.join('\n') + '\n');
      return verifyAuditChain(copy);
    };
    const edited = [...original];
    edited[2] = edited[2].replace('"voltage":232', '"voltage":212');
    expect(await check(edited)).toMatchObject({ ok: false, line: 3 });

    const deleted = original.filter((_, i) => i !== 1);
    expect(await check(deleted)).toMatchObject({ ok: false, line: 2 });

    const inserted = [...original.slice(0, 3), original[2], ...original.slice(3)];
    expect(await check(inserted)).toMatchObject({ ok: false, line: 4 });

    // Editing the last line breaks its own hash, so even the tail is covered.
    const last = [...original];
    last[4] = last[4].replace('"energy":1004', '"energy":1005');
    expect(await check(last)).toMatchObject({ ok: false, line: 5 });
  });

  it('npm run audit:verify (main.js audit-verify) exits 0 with the count, 1 naming the broken line', async () => {
    const out: string[] = [];
    const io = { out: (l: string) => out.push(l), err: (l: string) => out.push(l) };
    const env = { DATA_DIR: t.dataDir, ...(t.config.database.type === 'postgres' && { DATABASE_URL: t.config.database.url }) };
    expect(await runServer(['audit-verify'], env, io)).toBe(0);
    expect(out[0]).toMatch(/5 line\(s\) verified/);
    expect(out[1]).toMatch(/agrees with the audit trail: 10 value\(s\) of 1 device\(s\)/);
    const tampered = join(t.dataDir, 'tampered2.log');
    const edited = lines();
    edited[3] = edited[3].replace('"source":"api"', '"source":"modbus-rtu"');
    writeFileSync(tampered, edited.join('\n') + '\n');
    expect(await runServer(['audit-verify', tampered], env, io)).toBe(1);
    expect(out[2]).toMatch(/BROKEN at line 4/);
  });

  it('continues the same chain after a restart', async () => {
    const config = { ...t.config };
    await t.app.close();
    const { createApp } = await import('../bootstrap');
    const app = await createApp(config);
    await app.listen(0, '127.0.0.1');
    t.app = app;
    const request = (await import('supertest')).default;
    // The JWT secret was generated into the data directory on first start, so the old token still works.
    await request(app.getHttpServer())
      .post('/api/ingest')
      .set('Authorization', `Bearer ${t.adminToken}`)
      .send({ readings: [{ deviceId, timestamp: Date.UTC(2026, 10, 26, 10, 0), metrics: { voltage: 229 } }] })
      .expect(200);
    expect(lines()).toHaveLength(6);
    expect(await verifyAuditChain(path)).toEqual({ ok: true, lines: 6 });
  });
});
