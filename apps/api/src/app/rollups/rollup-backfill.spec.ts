import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Database } from '../database/database.service';
import { RollupStore } from './rollup-store';
import { createPgDatabase, seedDevice, startTestApp, usesPostgres } from '../../testing/test-app';
import { waitFor } from '../../testing/wait';

describe('rollups of readings stored before rollups existed', () => {
  it('are built in the background at start, and the device is struck off the backfill list', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'pieng-backfill-'));
    const pg = usesPostgres() ? await createPgDatabase() : undefined;
    const env = { DATA_DIR: dataDir, ...(pg && { DATABASE_URL: pg.url }) };
    try {
      const first = await startTestApp(env);
      const { deviceId } = await seedDevice(first.http);
      const T0 = Date.UTC(2026, 3, 1);
      const readings = Array.from({ length: 300 }, (_, i) => ({ deviceId, timestamp: T0 + i * 30_000, metrics: { power: 100 + i } }));
      await first.http.post('/api/ingest').send({ readings }).expect(200);
      // What an upgraded database looks like: the readings, no rollups, the device listed by the migration.
      const db = first.app.get(Database);
      await db.transaction(async (m) => {
        await db.execute('DELETE FROM rollups', [], m);
        await db.execute('DELETE FROM rollup_pending', [], m);
        await db.execute('INSERT INTO rollup_backfill (device_id) VALUES (?)', [deviceId], m);
      });
      const before = await first.http.get('/api/metrics/summary').query({ deviceId, metric: 'power', from: T0, to: T0 + 3_599_999 });
      await first.app.close();
      expect(before.body.count).toBe(0);

      const second = await startTestApp(env);
      try {
        // The hour 00:00-01:00 (one hourly bucket): readings 0..119, mean (100 + 219) / 2 = 159.5.
        const summary = await waitFor('the readings rolled up', async () => {
          const res = await second.http
            .get('/api/metrics/summary')
            .query({ deviceId, metric: 'power', from: T0, to: T0 + 3_599_999 })
            .expect(200);
          return res.body.count === 120 ? res.body : undefined;
        });
        expect(summary.mean).toBeCloseTo(159.5, 10);
        const left = await waitFor('the backfill list emptied', async () =>
          (await second.app.get(Database).query('SELECT device_id FROM rollup_backfill')).length === 0 ? true : undefined,
        );
        expect(left).toBe(true);
      } finally {
        await second.app.close();
      }
    } finally {
      await pg?.drop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('keeps pending sums over a stop: they are committed with the readings, and merged after the restart', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'pieng-pending-'));
    const pg = usesPostgres() ? await createPgDatabase() : undefined;
    const env = { DATA_DIR: dataDir, ...(pg && { DATABASE_URL: pg.url }) };
    try {
      const first = await startTestApp(env);
      const { deviceId } = await seedDevice(first.http);
      // The merge timer stopped, as a process killed right after a commit would leave it.
      await first.app.get(RollupStore).onApplicationShutdown();
      const T0 = Date.UTC(2026, 3, 2);
      await first.http
        .post('/api/ingest')
        .send({ readings: Array.from({ length: 60 }, (_, i) => ({ deviceId, timestamp: T0 + i * 60_000, metrics: { power: i } })) })
        .expect(200);
      const pending = Number((await first.app.get(Database).query('SELECT COUNT(*) AS n FROM rollup_pending'))[0].n);
      await first.app.close();
      expect(pending).toBe(60);

      const second = await startTestApp(env);
      try {
        await waitFor(
          'the pending sums merged by the restarted server',
          async () => Number((await second.app.get(Database).query('SELECT COUNT(*) AS n FROM rollup_pending'))[0].n) === 0 || undefined,
        );
        const [hour] = await second.app
          .get(Database)
          .query('SELECT value_count AS n, value_mean AS mean FROM rollups WHERE device_id = ? AND bucket_ms = 3600000', [deviceId]);
        // 0..59 in one hour: 60 values, mean 29.5.
        expect([Number(hour.n), Number(hour.mean)]).toEqual([60, 29.5]);
      } finally {
        await second.app.close();
      }
    } finally {
      await pg?.drop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
