import { startSimulator, type RunningSimulator } from '@pieng/simulator';
import { seedDevice, startTestApp, TestApp } from '../../testing/test-app';
import { loggableUrl } from './logging';
import { saneRequestId } from './request-id';
import { freePort } from '../../testing/free-port';
import { captureStdout } from '../../testing/capture-stdout';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** Everything written to stdout while fn runs (pino writes its lines there). */
type LogLine = Record<string, unknown> & { level: string; msg: string; reqId?: string; context?: string };
const jsonLines = (output: string): LogLine[] =>
  output
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as LogLine);

/** The value of one sample in a Prometheus exposition: `name{labels}` written exactly, or undefined. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const wanted = Object.entries(labels);
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = new Map([...(m[2] ?? '').matchAll(/([a-zA-Z_]+)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1], x[2]]));
    if (have.size === wanted.length && wanted.every(([k, v]) => have.get(k) === v)) return Number(m[3]);
  }
  return undefined;
}

describe('structured request logs', () => {
  let t: TestApp;
  // This application logs at info: everything it writes is captured, so that the test output stays readable.
  const quietly = async <T>(fn: () => Promise<T>) => (await captureStdout(fn)).result;
  beforeAll(async () => (t = await quietly(() => startTestApp({ LOG_LEVEL: 'log', LOG_FORMAT: 'json' }))));
  afterAll(() => quietly(() => t.close()));

  it('puts the X-Request-Id of the answer on every line logged while serving the request', async () => {
    const { result: res, output } = await captureStdout(() =>
      t.anon.post('/api/auth/login').send({ email: 'admin@test.local', password: 'admin-password-123' }).expect(200),
    );
    const id = res.headers['x-request-id'];
    expect(id).toMatch(UUID);
    const lines = jsonLines(output);
    const mine = lines.filter((l) => l.reqId === id);
    // The service's own line (new Logger('Auth')) and the request line, both with the id.
    expect(mine.find((l) => l.context === 'Auth')?.msg).toMatch(/Login succeeded for admin@test\.local/);
    const request = mine.find((l) => l.msg.startsWith('POST /api/auth/login 200'));
    expect(request).toMatchObject({ level: 'info', req: { method: 'POST', url: '/api/auth/login' }, res: { statusCode: 200 } });
    expect(typeof request?.['responseTime']).toBe('number');
    expect(lines.filter((l) => l.msg.includes('/api/auth/login')).every((l) => l.reqId === id)).toBe(true);
  });

  it('reuses a sane incoming X-Request-Id and replaces one that is not', async () => {
    const { deviceId } = await quietly(() => seedDevice(t.http));
    const { result: kept, output } = await captureStdout(() => t.http.get(`/api/devices/${deviceId}`).set('X-Request-Id', 'proxy-trace.42:a_b').expect(200));
    expect(kept.headers['x-request-id']).toBe('proxy-trace.42:a_b');
    expect(jsonLines(output).find((l) => l.msg.startsWith(`GET /api/devices/${deviceId} 200`))?.reqId).toBe('proxy-trace.42:a_b');

    const replaced = await quietly(() => t.http.get(`/api/devices/${deviceId}`).set('X-Request-Id', 'x'.repeat(200)).expect(200));
    expect(replaced.headers['x-request-id']).toMatch(UUID);
    const unsafe = await quietly(() => t.http.get(`/api/devices/${deviceId}`).set('X-Request-Id', '<script>').expect(200));
    expect(unsafe.headers['x-request-id']).toMatch(UUID);
    // Even a body the parser refuses is answered with an id, and logged with it, without the body.
    const { result: malformed, output: refused } = await captureStdout(() =>
      t.anon.post('/api/auth/login').set('Content-Type', 'application/json').send('{"email": "a@b.c", "password": "body-secret-12" oops').expect(400),
    );
    expect(malformed.headers['x-request-id']).toMatch(UUID);
    expect(malformed.body.message).toMatch(/^Malformed JSON/);
    expect(jsonLines(refused).find((l) => l.reqId === malformed.headers['x-request-id'])).toMatchObject({
      level: 'warn',
      msg: expect.stringMatching(/^POST \/api\/auth\/login 400 \d+ ms$/),
    });
    expect(refused).not.toContain('body-secret-12');
  });

  it('never logs an Authorization header, an API key, a cookie, a password or a query token', async () => {
    const password = 'a-distinctive-password-77';
    const key = await quietly(async () => {
      const { clientId } = await seedDevice(t.http, 'Meter S', 'Client S');
      await t.http.post('/api/users').send({ email: 'logged@test.local', password, role: 'viewer', clientId: null }).expect(201);
      return (await t.http.post('/api/api-keys').send({ name: 'reader', scope: 'read', clientId }).expect(201)).body.key as string;
    });
    expect(key.length).toBeGreaterThan(10);
    const { result: token, output } = await captureStdout(async () => {
      const login = await t.anon.post('/api/auth/login').send({ email: 'logged@test.local', password }).expect(200);
      await t.anon.get('/api/devices').set('Authorization', `Bearer ${login.body.accessToken}`).set('Cookie', 'session=cookie-secret-99').expect(200);
      await t.anon.get('/api/devices').set('X-API-Key', key).expect(200);
      await t.anon
        .post('/api/auth/login')
        .send({ email: 'logged@test.local', password: password + 'x' })
        .expect(401);
      await t.anon.get('/api/devices?token=query-secret-55&clientId=1').set('Authorization', 'Bearer not-a-valid-token-31').expect(401);
      return login.body.accessToken as string;
    });
    expect(token.length).toBeGreaterThan(20);
    const lines = jsonLines(output);
    expect(lines.length).toBeGreaterThanOrEqual(5);
    for (const secret of [password, token, key, 'cookie-secret-99', 'query-secret-55', 'not-a-valid-token-31']) expect(output).not.toContain(secret);
    expect(output).not.toMatch(/authorization|x-api-key|"cookie"/i);
    expect(lines.find((l) => l.msg.startsWith('GET /api/devices?'))?.msg).toContain('token=%5Bredacted%5D&clientId=1');
  });

  it('logs health checks and Prometheus scrapes at debug only, so they do not flood the log', async () => {
    const { output } = await captureStdout(async () => {
      await t.anon.get('/api/health').expect(200);
      await t.anon.get('/api/health/live').expect(200);
      await t.anon.get('/api/health/ready').expect(200);
      await t.http.get('/api/metrics/prometheus').expect(200);
      await t.http.get('/api/clients').expect(200);
    });
    const urls = jsonLines(output).map((l) => (l['req'] as { url?: string } | undefined)?.url);
    expect(urls).toEqual(['/api/clients']);

    const debug = await quietly(() => startTestApp({ LOG_LEVEL: 'debug', LOG_FORMAT: 'json' }));
    try {
      const { output: verbose } = await captureStdout(() => debug.anon.get('/api/health/live').expect(200));
      expect(jsonLines(verbose).find((l) => (l['req'] as { url?: string } | undefined)?.url === '/api/health/live')?.level).toBe('debug');
    } finally {
      await quietly(() => debug.close());
    }
  });

  it('writes readable lines, not JSON, with LOG_FORMAT=pretty', async () => {
    const { result: pretty, output: startup } = await captureStdout(() => startTestApp({ LOG_LEVEL: 'log', LOG_FORMAT: 'pretty' }));
    try {
      const { result: res, output } = await captureStdout(() => pretty.http.get('/api/clients').set('X-Request-Id', 'pretty-check-1').expect(200));
      expect(res.headers['x-request-id']).toBe('pretty-check-1');
      const lines = (startup + output).split('\n').filter((l) => l.trim());
      expect(lines.length).toBeGreaterThan(3);
      for (const line of lines) expect(() => JSON.parse(line)).toThrow();
      expect(startup).toMatch(/^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}\] INFO: \[Auth\] First start: created the admin account admin@test\.local/m);
      expect(output).toMatch(/INFO: GET \/api\/clients 200 \d+ ms .*"reqId":"pretty-check-1"/);
    } finally {
      await quietly(() => pretty.close());
    }
  });

  it('accepts only plain request ids and hides secret query parameters', () => {
    expect(saneRequestId('3f2a-01.b:c_d')).toBe('3f2a-01.b:c_d');
    expect(saneRequestId('')).toBeUndefined();
    expect(saneRequestId('has space')).toBeUndefined();
    expect(saneRequestId('x'.repeat(129))).toBeUndefined();
    expect(saneRequestId(['a', 'b'])).toBeUndefined();
    expect(loggableUrl('/api/live?access_token=abc&deviceId=3')).toBe('/api/live?access_token=%5Bredacted%5D&deviceId=3');
    expect(loggableUrl('/api/metrics?deviceId=3&metric=voltage')).toBe('/api/metrics?deviceId=3&metric=voltage');
  });
});

describe('Prometheus metrics at GET /api/metrics/prometheus', () => {
  const METRICS_TOKEN = 'scrape-token-0123456789abcdef';
  let t: TestApp;
  let forwardPort: number;
  const scrape = async () => {
    const res = await t.anon.get('/api/metrics/prometheus').set('Authorization', `Bearer ${METRICS_TOKEN}`).expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain;.*version=0\.0\.4/);
    return res.text;
  };
  const ingest = (deviceId: number, timestamps: number[]) =>
    t.http
      .post('/api/ingest')
      .send({ readings: timestamps.map((ts, i) => ({ deviceId, timestamp: new Date(ts).toISOString(), metrics: { voltage: 230 + i } })) })
      .expect(200);

  beforeAll(async () => {
    forwardPort = await freePort();
    // Forwarding to a port nobody answers on, retried only every minute: the outbox fills and stays.
    t = await startTestApp({
      METRICS_TOKEN,
      FORWARDER_URL: `http://127.0.0.1:${forwardPort}`,
      FORWARDER_BACKOFF_MIN_MS: '60000',
      FORWARDER_BACKOFF_MAX_MS: '60000',
    });
  });
  afterAll(() => t.close());

  it('counts devices by status at scrape time, as the console decides them', async () => {
    const client = (await t.http.post('/api/clients').send({ name: 'Gauges' }).expect(201)).body.id;
    const create = async (name: string, active = true) =>
      (await t.http.post('/api/devices').send({ clientId: client, name, deviceType: 'api', active }).expect(201)).body.id as number;
    const online = await create('Seen now');
    const offline = await create('Seen two hours ago');
    await create('Never seen');
    await create('Switched off', false);
    await create('Also switched off', false);
    const now = Date.now();
    await ingest(online, [now - 1000]);
    await ingest(offline, [now - 2 * 3600_000]); // more than 3 poll intervals (and a minute) ago
    const text = await scrape();
    expect(sample(text, 'pieng_devices', { status: 'online' })).toBe(1);
    expect(sample(text, 'pieng_devices', { status: 'offline' })).toBe(1);
    expect(sample(text, 'pieng_devices', { status: 'unknown' })).toBe(1);
    expect(sample(text, 'pieng_devices', { status: 'inactive' })).toBe(2);
    expect(sample(text, 'pieng_devices', { status: 'backoff' })).toBe(0);
  });

  it('counts the readings ingested by source exactly', async () => {
    const { deviceId } = await seedDevice(t.http, 'Counted', 'Counted client');
    const before = sample(await scrape(), 'pieng_readings_ingested_total', { source: 'api' }) ?? 0;
    const base = Date.now() - 60_000;
    await ingest(deviceId, [base, base + 1000, base + 2000, base + 3000, base + 4000, base + 5000, base + 6000]);
    await ingest(deviceId, [base + 7000, base + 8000, base + 9000]);
    const after = await scrape();
    expect(sample(after, 'pieng_readings_ingested_total', { source: 'api' })).toBe(before + 10);
    // The same value again is a duplicate: a reading received, but no value stored.
    const values = sample(after, 'pieng_values_stored_total', { source: 'api' }) as number;
    await ingest(deviceId, [base]);
    const again = await scrape();
    expect(sample(again, 'pieng_readings_ingested_total', { source: 'api' })).toBe(before + 11);
    expect(sample(again, 'pieng_values_stored_total', { source: 'api' })).toBe(values);
  });

  it('labels HTTP requests by route template and status, never by raw id', async () => {
    const { deviceId } = await seedDevice(t.http, 'Routed', 'Routed client');
    const before = sample(await scrape(), 'pieng_http_requests_total', { method: 'GET', route: '/api/devices/:id', status: '200' }) ?? 0;
    await t.http.get(`/api/devices/${deviceId}`).expect(200);
    await t.http.get(`/api/devices/${deviceId}`).expect(200);
    await t.http.get('/api/devices/999999').expect(404);
    const text = await scrape();
    expect(sample(text, 'pieng_http_requests_total', { method: 'GET', route: '/api/devices/:id', status: '200' })).toBe(before + 2);
    expect(sample(text, 'pieng_http_requests_total', { method: 'GET', route: '/api/devices/:id', status: '404' })).toBe(1);
    expect(sample(text, 'pieng_http_request_duration_seconds_count', { method: 'GET', route: '/api/devices/:id', status: '200' })).toBe(before + 2);
    expect(sample(text, 'pieng_http_request_duration_seconds_bucket', { method: 'GET', route: '/api/devices/:id', status: '200', le: '+Inf' })).toBe(
      before + 2,
    );
    expect(text).not.toMatch(/route="[^"]*\/\d+/);
  });

  it('reports the forwarding backlog, the database size and the process', async () => {
    const text = await scrape();
    // One outbox row per stored reading; nothing has left (the target does not answer): 1 + 1 + 10 readings above.
    expect(sample(text, 'pieng_forwarding_outbox_rows', { state: 'pending' })).toBe(12);
    expect(sample(text, 'pieng_forwarding_outbox_rows', { state: 'dead' })).toBe(0);
    expect(sample(text, 'pieng_forwarding_outbox_bytes')).toBeGreaterThan(0);
    expect(sample(text, 'pieng_database_up')).toBe(1);
    expect(sample(text, 'pieng_database_size_bytes')).toBeGreaterThan(0);
    expect(sample(text, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
    expect(text).toMatch(/^# TYPE nodejs_heap_size_used_bytes gauge$/m);
  });

  it('is for staff operators and admins, or a scraper with METRICS_TOKEN; never for a client user or an API key', async () => {
    await t.anon.get('/api/metrics/prometheus').expect(401);
    await t.anon.get('/api/metrics/prometheus').set('Authorization', 'Bearer wrong-token-0123456789').expect(401);
    await t.anon.get('/api/metrics/prometheus').set('Authorization', `Bearer ${METRICS_TOKEN}x`).expect(401);
    await t.http.get('/api/metrics/prometheus').expect(200);
    expect((await (await t.userAgent('operator', null)).get('/api/metrics/prometheus').expect(200)).text).toContain('pieng_readings_ingested_total');
    await (await t.userAgent('viewer', null)).get('/api/metrics/prometheus').expect(403);
    const { clientId } = await seedDevice(t.http, 'Tenant meter', 'Tenant');
    const tenantAdmin = await t.userAgent('admin', clientId);
    const refused = await tenantAdmin.get('/api/metrics/prometheus').expect(403);
    expect(refused.body.message).toMatch(/whole platform/);
    const key = (await t.http.post('/api/api-keys').send({ name: 'tenant reader', scope: 'read', clientId }).expect(201)).body.key;
    await t.anon.get('/api/metrics/prometheus').set('X-API-Key', key).expect(403);
    // The metrics token opens this route only.
    await t.anon.get('/api/devices').set('Authorization', `Bearer ${METRICS_TOKEN}`).expect(401);
  });

  it('does not answer with prometheus anywhere but its own route', async () => {
    const doc = (await t.http.get('/docs-json').expect(200)).body;
    const op = doc.paths['/api/metrics/prometheus'].get;
    expect(op.operationId).toBe('getPrometheusMetrics');
    expect(Object.keys(op.responses['200'].content)).toEqual(['text/plain']);
    // The analytics routes beside it still answer as before.
    await t.http.get('/api/metrics').query({ deviceId: 999999 }).expect(404);
  });
});

describe('poll metrics', () => {
  let sim: RunningSimulator;
  let t: TestApp;
  let clientId: number;
  beforeAll(async () => {
    sim = await startSimulator({ tcpPort: 0, deterministic: true, meters: [{ model: 'pzem004t', slaveId: 1 }] });
    t = await startTestApp({ METRICS_TOKEN: 'poll-scrape-token-0123456789' });
    clientId = (await t.http.post('/api/clients').send({ name: 'Polled' }).expect(201)).body.id;
  });
  afterAll(async () => {
    await t?.close();
    await sim?.close();
  });
  const scrape = async () => (await t.http.get('/api/metrics/prometheus').expect(200)).text;
  const modbusDevice = async (name: string, driver: string, port: number) =>
    (
      await t.http
        .post('/api/devices')
        .send({
          clientId,
          name,
          deviceType: 'modbus',
          pollIntervalSec: 60,
          config: { transport: 'tcp', host: '127.0.0.1', port, unitId: 1, driver, timeoutMs: 300 },
        })
        .expect(201)
    ).body.id as number;

  it('counts a read on request by driver and times it by line', async () => {
    const id = await modbusDevice('Kitchen PZEM', 'pzem004t', sim.tcpPort as number);
    const line = `tcp:127.0.0.1:${sim.tcpPort}`;
    const before = await scrape();
    expect(sample(before, 'pieng_polls_total', { driver: 'pzem004t' }) ?? 0).toBe(0);
    const read = await t.http.post(`/api/devices/${id}/poll`).expect(200);
    // The PZEM's voltage register decoded (0.1 V per unit): a mains voltage, not a missing or raw value.
    expect(read.body.metrics.voltage).toBeGreaterThan(100);
    expect(read.body.metrics.voltage).toBeLessThan(300);
    await t.http.post(`/api/devices/${id}/poll`).expect(200);
    const after = await scrape();
    expect(sample(after, 'pieng_polls_total', { driver: 'pzem004t' })).toBe(2);
    expect(sample(after, 'pieng_poll_duration_seconds_count', { line })).toBe(2);
    expect(sample(after, 'pieng_poll_duration_seconds_sum', { line })).toBeGreaterThan(0);
    expect(after).not.toMatch(/pieng_poll_errors_total\{driver="pzem004t"/);
    // The reading went through the one ingest path, counted under its source.
    expect(sample(after, 'pieng_readings_ingested_total', { source: 'modbus-tcp' })).toBe(2);
  });

  it('counts a read that fails (nobody listens on the port) as a poll error of its driver', async () => {
    const port = await freePort();
    const id = await modbusDevice('Dead SDM', 'sdm630', port);
    const res = await t.http.post(`/api/devices/${id}/poll`);
    expect([502, 504]).toContain(res.status);
    const text = await scrape();
    expect(sample(text, 'pieng_polls_total', { driver: 'sdm630' })).toBe(1);
    const errors = text.split('\n').filter((l) => l.startsWith('pieng_poll_errors_total{driver="sdm630"'));
    expect(errors).toHaveLength(1);
    expect(Number(errors[0].split(' ').pop())).toBe(1);
    expect(sample(text, 'pieng_poll_duration_seconds_count', { line: `tcp:127.0.0.1:${port}` })).toBe(1);
    expect(sample(text, 'pieng_polls_total', { driver: 'pzem004t' })).toBe(2);
  });
});
