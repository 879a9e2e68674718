import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { seedDevice, startTestApp, TestApp } from '../../testing/test-app';
import { waitFor } from '../../testing/wait';
import { Database } from '../database/database.service';
import { RollupStore } from '../rollups/rollup-store';
import { RetentionService } from './retention.service';

/**
 * SQLite (always, also under test:pg): a new database is created with incremental auto-vacuum,
 * and after a deletion run the freed pages go back to the file system, so the file shrinks.
 */
describe('retention on SQLite gives the space back', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pieng-space-'));
  const file = join(dir, 'space.db');
  let t: TestApp;
  let db: Database;
  const pragma = async (name: string) => Number(Object.values((await db.query<Record<string, number>>(`PRAGMA ${name}`))[0])[0]);
  // A checkpoint on the one connection fails (SQLITE_LOCKED) while a background job (alarm timer, notification
  // sending, a lease renewal) has a write transaction open on it: tried again until it runs between two of them.
  const checkpoint = () =>
    waitFor(
      'a WAL checkpoint between background writes',
      async () => Number((await db.query<{ busy: number }>('PRAGMA wal_checkpoint(TRUNCATE)'))[0].busy) === 0,
    );

  beforeAll(async () => {
    t = await startTestApp({ DATABASE_URL: `sqlite:${file}`, RETENTION_RAW_DAYS: '30' });
    db = t.app.get(Database);
  });
  afterAll(async () => {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates the file with auto_vacuum = INCREMENTAL (2) and has dbstat to measure tables with', async () => {
    expect(await pragma('auto_vacuum')).toBe(2);
    const [row] = await db.query<{ n: number }>(`SELECT COUNT(*) AS n FROM dbstat WHERE name = 'measurements'`);
    expect(Number(row.n)).toBeGreaterThan(0);
  });

  it('after deleting 40,000 values the file holds no free pages and is smaller', async () => {
    const { deviceId } = await seedDevice(t.http);
    // Oct 1, 2026: 10,000 readings of 4 metrics, one a second (2 h 46 min), all past 30 days on Nov 15.
    const start = Date.UTC(2026, 9, 1);
    for (let batch = 0; batch < 10; batch++) {
      const readings = Array.from({ length: 1000 }, (_, i) => ({
        deviceId,
        timestamp: start + (batch * 1000 + i) * 1000,
        metrics: { voltage: 230 + i / 1000, current: i, power: i * 2, energy: batch },
      }));
      await t.http.post('/api/ingest').send({ readings }).expect(200);
    }
    // The rollups' once-a-second merge would hold a write transaction on the one connection now and then,
    // and change the page count between the two figures: stopped here, merged once.
    const rollups = t.app.get(RollupStore);
    await rollups.onApplicationShutdown();
    await rollups.flush();
    const pagesBefore = await pragma('page_count');
    // The file itself, once the write-ahead log is copied into it.
    await checkpoint();
    const bytesBefore = statSync(file).size;
    expect(bytesBefore).toBe(pagesBefore * 4096);
    const report = await t.app.get(RetentionService).run(Date.UTC(2026, 10, 15, 2));
    expect(report.deleted.raw).toBe(40_000);
    expect(await pragma('freelist_count')).toBe(0);
    const pagesAfter = await pragma('page_count');
    // 40,000 rows of about 40 bytes are well over 300 pages of 4 KB; what is left is the schema and the other tables.
    expect(pagesBefore - pagesAfter).toBeGreaterThan(300);
    await checkpoint();
    expect(statSync(file).size).toBe(pagesAfter * 4096);
  });

  it('POST /api/retention/run runs the job now for a platform admin only', async () => {
    const ran = await t.http.post('/api/retention/run').expect(200);
    expect(ran.body).toMatchObject({ deleted: { raw: 0, '1m': 0, '15m': 0, '1h': 0 }, partitionsDropped: [], skipped: null });
    const staffOperator = await t.userAgent('operator', null);
    await staffOperator.post('/api/retention/run').expect(403);
    const { clientId } = await seedDevice(t.http, 'Meter B', 'Client B');
    const clientAdmin = await t.userAgent('admin', clientId);
    await clientAdmin.post('/api/retention/run').expect(403);
  });
});
