import { createServer as createHttpServer, type Server } from 'node:http';
import { DataSource } from 'typeorm';
import { seedDevice, startTestApp, TestApp } from '../../testing/test-app';
import { waitFor } from '../../testing/wait';
import { freePort } from '../../testing/free-port';

describe('health, docs and dev endpoints', () => {
  let t: TestApp;
  beforeAll(async () => (t = await startTestApp()));
  afterAll(() => t.close());

  it('answers /api/health with the database check', async () => {
    const res = await t.http.get('/api/health').expect(200);
    expect(res.body).toMatchObject({
      status: 'ok',
      failing: [],
      name: 'Pieng Medidor Master',
      database: { engine: t.config.database.type, ok: true },
      migrations: { ok: true },
    });
    // Polling is off in the test application; forwarding has no target.
    expect(res.body.scheduler).toMatchObject({ status: 'off', lastTickAt: null });
    expect(res.body.forwarder).toMatchObject({ status: 'off', pending: 0, deadLettered: 0, consecutiveFailures: 0, lastError: null });
  });

  it('answers liveness and readiness without credentials', async () => {
    expect((await t.anon.get('/api/health/live').expect(200)).body).toEqual({ status: 'ok', uptimeSec: expect.any(Number) });
    const ready = await t.anon.get('/api/health/ready').expect(200);
    expect(ready.body).toMatchObject({ status: 'ready', failing: [], database: { ok: true }, migrations: { ok: true } });
  });

  it('serves Swagger UI and an OpenAPI document whose operations are named after the methods', async () => {
    await t.http.get('/docs').expect(200);
    const doc = (await t.http.get('/docs-json').expect(200)).body;
    const ids: string[] = Object.values(doc.paths).flatMap((p) => Object.values(p as Record<string, { operationId: string }>).map((o) => o.operationId));
    expect(ids).toEqual(
      expect.arrayContaining(['listDevices', 'createDevice', 'ingestReadings', 'getSummary', 'getLinearRegression', 'acknowledgeAlarmEvent', 'getHealth']),
    );
    expect(new Set(ids).size).toBe(ids.length);
    // Every DTO field carries a description.
    const undocumented: string[] = [];
    for (const [name, schema] of Object.entries(doc.components.schemas as Record<string, { properties?: Record<string, { description?: string }> }>)) {
      for (const [prop, def] of Object.entries(schema.properties ?? {})) if (!def.description) undocumented.push(`${name}.${prop}`);
    }
    expect(undocumented).toEqual([]);
  });

  it('redirects /api/dashboard to the console', async () => {
    const res = await t.http.get('/api/dashboard').expect(302);
    expect(res.headers['location']).toBe('/');
  });

  it('hides the dev endpoints unless ENABLE_DEV_ENDPOINTS=true', async () => {
    await t.http.post('/api/dev/demo').expect(404);
    const dev = await startTestApp({ ENABLE_DEV_ENDPOINTS: 'true' });
    try {
      const res = await dev.http.post('/api/dev/demo').expect(200);
      expect(res.body.readings).toBe(40);
      const page = await dev.http.get('/api/metrics').query({ deviceId: res.body.deviceId, metric: 'voltage' }).expect(200);
      expect(page.body.items).toHaveLength(40);
      expect(page.body.items.every((i: { source: string }) => i.source === 'demo')).toBe(true);
      // It creates clients: the platform's business, not a client's admin's.
      const clientAdmin = await dev.userAgent('admin', res.body.clientId);
      expect((await clientAdmin.post('/api/dev/demo').expect(403)).body.message).toMatch(/whole platform/);
    } finally {
      await dev.close();
    }
  });
});

describe('health checks of the scheduler, the forwarder and the database', () => {
  it('reports the poll scheduler ticking when polling is on', async () => {
    const t = await startTestApp({ ENABLE_POLLING: 'true' });
    try {
      const scheduler = await waitFor(
        'a first scheduler tick',
        async () => {
          const body = (await t.anon.get('/api/health').expect(200)).body;
          return body.scheduler.lastTickAt ? body.scheduler : undefined;
        },
        5000,
      );
      expect(scheduler.status).toBe('ok');
      expect(scheduler.lastTickAgeSec).toBeLessThan(scheduler.staleAfterSec);
      expect(Math.abs(Date.parse(scheduler.lastTickAt) - Date.now())).toBeLessThan(5000);
      // The scheduler looks at least once a second (lease renewal): a later look sees a newer tick.
      await waitFor(
        'a newer scheduler tick',
        async () => {
          const later = (await t.anon.get('/api/health').expect(200)).body.scheduler;
          return Date.parse(later.lastTickAt) > Date.parse(scheduler.lastTickAt) ? true : undefined;
        },
        3000,
      );
    } finally {
      await t.close();
    }
  });

  it('reports a forwarder that fails, with its backlog and last error, and one that has sent everything', async () => {
    const port = await freePort();
    const failing = await startTestApp({
      FORWARDER_URL: `http://user:hidden-pass@127.0.0.1:${port}`,
      FORWARDER_API_KEY: 'k'.repeat(32),
      FORWARDER_BACKOFF_MIN_MS: '60000',
      FORWARDER_BACKOFF_MAX_MS: '60000',
    });
    try {
      const { deviceId } = await seedDevice(failing.http);
      await failing.http
        .post('/api/ingest')
        .send({ readings: [1, 2, 3].map((i) => ({ deviceId, timestamp: new Date(Date.now() - i * 1000).toISOString(), metrics: { voltage: 230 } })) })
        .expect(200);
      const body = await waitFor(
        'the forwarder failing',
        async () => {
          const b = (await failing.anon.get('/api/health').expect(200)).body;
          return b.forwarder.status === 'failing' ? b : undefined;
        },
        10_000,
      );
      expect(body.status).toBe('degraded');
      expect(body.failing).toEqual(['forwarder']);
      expect(body.forwarder).toMatchObject({ pending: 3, deadLettered: 0, consecutiveFailures: 1 });
      expect(body.forwarder.lastError).toMatch(new RegExp(`127\\.0\\.0\\.1:${port}`));
      expect(JSON.stringify(body)).not.toContain('hidden-pass');
      expect(Date.parse(body.forwarder.lastErrorAt)).toBeGreaterThan(Date.now() - 60_000);
      // Readiness is about serving readings here: the database and the schema, not the next instance.
      await failing.anon.get('/api/health/ready').expect(200);
    } finally {
      await failing.close();
    }

    // The next instance answers 200: everything leaves, and the forwarder is idle.
    const received: string[] = [];
    const target: Server = createHttpServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        received.push(body);
        res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"stored":1}');
      });
    });
    await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
    const sending = await startTestApp({ FORWARDER_URL: `http://127.0.0.1:${(target.address() as { port: number }).port}`, FORWARDER_API_KEY: 'k'.repeat(32) });
    try {
      const { deviceId } = await seedDevice(sending.http);
      await sending.http
        .post('/api/ingest')
        .send({ readings: [{ deviceId, timestamp: new Date().toISOString(), metrics: { voltage: 231 } }] })
        .expect(200);
      const forwarder = await waitFor(
        'the forwarder idle after sending',
        async () => {
          const f = (await sending.anon.get('/api/health').expect(200)).body.forwarder;
          return f.status === 'idle' && f.lastSuccessAt ? f : undefined;
        },
        10_000,
      );
      expect(forwarder).toMatchObject({ pending: 0, consecutiveFailures: 0, lastError: null });
      expect(received.join('')).toContain('"voltage":231');
    } finally {
      await sending.close();
      await new Promise<void>((resolve) => target.close(() => resolve()));
    }
  });

  it('answers 503 to readiness, naming the database, once the database connection is gone; liveness stays 200', async () => {
    const t = await startTestApp();
    try {
      await t.anon.get('/api/health/ready').expect(200);
      await t.app.get(DataSource).destroy();
      const ready = await t.anon.get('/api/health/ready').expect(503);
      expect(ready.body.status).toBe('unavailable');
      expect(ready.body.failing).toContain('database');
      expect(ready.body.database).toMatchObject({ ok: false, error: expect.any(String) });
      const health = await t.anon.get('/api/health').expect(200);
      expect(health.body).toMatchObject({ status: 'degraded', database: { ok: false } });
      expect(health.body.failing).toContain('database');
      await t.anon.get('/api/health/live').expect(200);
    } finally {
      await t.close();
    }
  });
});
