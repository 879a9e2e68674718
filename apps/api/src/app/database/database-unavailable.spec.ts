import { Client as PgClient } from 'pg';
import * as sqlite3 from 'sqlite3';
import { seedDevice, startTestApp, TEST_PG_URL, TestApp } from '../../testing/test-app';
import { waitFor } from '../../testing/wait';

/**
 * While the database cannot be used (PostgreSQL restarting or refusing connections; on SQLite another
 * program holding the write lock past the busy timeout) every route answers 503 with Retry-After and
 * says so in plain words, instead of 500; once the database is back, the same calls succeed again
 * without a restart.
 */
const T0 = Date.UTC(2026, 10, 26, 12, 0, 0);
// The SQLite case waits out the 5 s busy timeout; jest's own default would end the test first.
jest.setTimeout(30_000);

describe('the database unavailable for a while', () => {
  let t: TestApp;
  let deviceId: number;
  let apiKey: string;

  beforeAll(async () => {
    t = await startTestApp();
    const seeded = await seedDevice(t.http);
    deviceId = seeded.deviceId;
    apiKey = (await t.http.post('/api/api-keys').send({ name: 'Gateway', scope: 'ingest', clientId: seeded.clientId }).expect(201)).body.key;
  });
  afterAll(() => t.close());

  const ingest = (i: number) =>
    t.anon
      .post('/api/ingest')
      .set('X-API-Key', apiKey)
      .send({ readings: [{ deviceId, timestamp: T0 + i * 1000, metrics: { voltage: 230 + i } }] });

  it('answers 503 with Retry-After, then stores again once the database is back', async () => {
    await ingest(0).expect(200);
    const db = t.config.database;
    let restore: () => Promise<void>;
    let expected: RegExp;

    if (db.type === 'postgres') {
      // PostgreSQL "restarting" for this test's database alone: no new connections, and the app's are cut.
      const name = new URL(db.url).pathname.slice(1);
      const admin = new PgClient({ connectionString: `${TEST_PG_URL}/postgres` });
      await admin.connect();
      await admin.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS false`);
      await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [name]);
      expected = /^The database is not reachable; retry shortly$/;
      restore = async () => {
        await admin.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS true`);
        await admin.end();
      };
    } else {
      // Another program (a backup tool, the sqlite3 shell) holds the write lock longer than the busy timeout (5 s).
      const other = await new Promise<sqlite3.Database>((resolve, reject) => {
        const c: sqlite3.Database = new sqlite3.Database(db.path, (err) => (err ? reject(err) : resolve(c)));
      });
      await new Promise<void>((resolve, reject) => other.exec('BEGIN IMMEDIATE', (err) => (err ? reject(err) : resolve())));
      expected = /^The database is locked by another program; retry shortly$/;
      restore = async () => {
        await new Promise<void>((resolve, reject) => other.exec('ROLLBACK', (err) => (err ? reject(err) : resolve())));
        await new Promise((resolve) => other.close(resolve));
      };
    }

    try {
      const refused = await ingest(1);
      expect(refused.status).toBe(503);
      expect(refused.headers['retry-after']).toBe('5');
      expect(refused.body).toEqual({ statusCode: 503, message: expect.stringMatching(expected) });
      if (db.type === 'postgres') {
        // Every route, not only ingest: a user's list, and a chart read on the read connections.
        for (const path of ['/api/devices', `/api/metrics/series?deviceId=${deviceId}&metrics=voltage`]) {
          const res = await t.http.get(path);
          expect({ path, status: res.status, retryAfter: res.headers['retry-after'], message: res.body.message }).toEqual({
            path,
            status: 503,
            retryAfter: '5',
            message: expect.stringMatching(expected),
          });
        }
      }
    } finally {
      await restore();
    }

    // Back: the pools reconnect by themselves; the gateway's retry is stored once.
    await waitFor('ingest to succeed again', async () => (await ingest(1)).status === 200, 15_000, 250);
    const page = await t.http.get('/api/metrics').query({ deviceId, metric: 'voltage' }).expect(200);
    expect(page.body.items.map((m: { value: number }) => m.value)).toEqual([230, 231]);
    await t.http
      .get('/api/metrics/series')
      .query({ deviceId, metrics: 'voltage', from: new Date(T0).toISOString(), to: new Date(T0 + 10_000).toISOString() })
      .expect(200);
  });
});
