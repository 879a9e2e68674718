import { request as httpRequest } from 'node:http';
import { seedDevice, startTestApp, TestApp } from '../testing/test-app';

/**
 * What SIGTERM does (enableShutdownHooks calls app.close()): a request already being received
 * is answered and its readings are stored; live streams end instead of holding the server open;
 * the database closes afterwards.
 */
const T0 = Date.UTC(2026, 10, 26, 8, 0, 0);
// Two applications start here (each hashing its admin's password): on a busy CI machine that alone has taken 30 s.
jest.setTimeout(90_000);

describe('graceful shutdown', () => {
  let t: TestApp;

  afterAll(() => t.close());

  it('finishes the request in flight, ends live streams, then closes the database', async () => {
    t = await startTestApp();
    const { deviceId } = await seedDevice(t.http);
    const url = new URL(t.url);

    // A browser watching live readings: an endless stream that must not keep the server up.
    const live = await new Promise<{ ended: Promise<void> }>((resolve, reject) => {
      const req = httpRequest(
        { host: url.hostname, port: url.port, path: '/api/live', headers: { authorization: `Bearer ${t.adminToken}`, accept: 'text/event-stream' } },
        (res) => {
          expect(res.statusCode).toBe(200);
          res.resume();
          resolve({ ended: new Promise((done) => res.on('close', () => done())) });
        },
      );
      req.on('error', reject);
      req.end();
    });

    // A gateway's batch whose body is still arriving when the shutdown starts.
    const readings = Array.from({ length: 200 }, (_, i) => ({ deviceId, timestamp: T0 + i * 1000, metrics: { voltage: 220 + i / 10, current: i / 100 } }));
    const body = JSON.stringify({ readings });
    const req = httpRequest({
      host: url.hostname,
      port: url.port,
      path: '/api/ingest',
      method: 'POST',
      headers: { authorization: `Bearer ${t.adminToken}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
    });
    const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
      req.on('response', (res) => {
        let text = '';
        res.on('data', (c) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      });
      req.on('error', reject);
    });
    req.write(body.slice(0, 1000));
    await new Promise((r) => setTimeout(r, 100));

    const shutdown = t.app.close();
    let shutDown = false;
    void shutdown.then(() => (shutDown = true));
    await new Promise((r) => setTimeout(r, 300));
    expect(shutDown).toBe(false); // waiting for the request in flight
    req.end(body.slice(1000));

    const res = await answer;
    const answeredAt = Date.now();
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({ readings: 200, stored: 400, duplicates: 0 });
    await live.ended;
    await shutdown;
    // Not the 5 s keep-alive timeout of the connection that was busy when the shutdown began.
    expect(Date.now() - answeredAt).toBeLessThan(1500);

    // The data is there after the shutdown: a new server on the same database finds all 400 values.
    const db = t.config.database;
    const again = await startTestApp({ DATABASE_URL: db.type === 'sqlite' ? `sqlite:${db.path}` : db.url });
    try {
      const page = await again.http.get('/api/metrics').query({ deviceId, limit: 1000 }).expect(200);
      expect(page.body.items).toHaveLength(400);
    } finally {
      await again.close();
    }
  });
});
