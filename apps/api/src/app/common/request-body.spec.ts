import { connect } from 'node:net';
import { seedDevice, startTestApp, TestApp } from '../../testing/test-app';
import { assertJsonDepth } from './request-body';

interface RawAnswer {
  status: number;
  head: string;
  /** Body bytes written before the server answered and closed the connection. */
  sent: number;
}

/**
 * Sends a POST whose headers announce `declared` bytes of JSON, then only the first `send` bytes,
 * and waits for the answer and for the server to close the connection. A server that reads the
 * whole body before answering never answers here: the rest never comes.
 */
function postAndStall(url: string, path: string, headers: Record<string, string>, declared: number, send: number, timeoutMs = 8000): Promise<RawAnswer> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    let received = '';
    let sent = 0;
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer and no close within ${timeoutMs} ms (received: ${JSON.stringify(received.slice(0, 80))})`));
    }, timeoutMs);
    socket.on('data', (chunk) => (received += chunk.toString('latin1')));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      const head = received.split('\r\n\r\n')[0];
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0), head, sent });
    });
    const lines = [
      `POST ${path} HTTP/1.1`,
      `Host: ${hostname}:${port}`,
      'Content-Type: application/json',
      `Content-Length: ${declared}`,
      ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
    ];
    socket.write(lines.join('\r\n') + '\r\n\r\n');
    const body = Buffer.alloc(send, ' ');
    body.write('{"readings": [');
    socket.write(body);
    sent = send;
  });
}

describe('request bodies', () => {
  let t: TestApp;
  let deviceId: number;
  let clientId: number;
  let ingestKey: string;

  beforeAll(async () => {
    t = await startTestApp();
    const seeded = await seedDevice(t.http);
    ({ deviceId, clientId } = seeded);
    ingestKey = (await t.http.post('/api/api-keys').send({ name: 'gateway', scope: 'ingest', clientId }).expect(201)).body.key;
  });
  afterAll(() => t.close());

  it('answers 401 to an anonymous or wrongly keyed 3 MB body from its headers, and closes the connection without reading the body', async () => {
    const declared = 3_300_000;
    const callers: Record<string, string>[] = [{}, { 'X-API-Key': 'pm_not-a-key' }, { Authorization: 'Bearer not-a-token' }];
    for (const headers of callers) {
      const answer = await postAndStall(t.url, '/api/ingest', headers, declared, 64 * 1024);
      expect(answer.status).toBe(401);
      expect(answer.head).toMatch(/\r\nConnection: close\r\n/i);
      expect(answer.sent).toBeLessThan(declared / 10);
    }
    // A read key may not ingest: refused from the headers too.
    const readKey = (await t.http.post('/api/api-keys').send({ name: 'dashboard', scope: 'read', clientId }).expect(201)).body.key;
    expect((await postAndStall(t.url, '/api/ingest', { 'X-API-Key': readKey }, declared, 64 * 1024)).status).toBe(403);
  });

  it('still reads a 3 MB batch from an authenticated caller', async () => {
    const T = Date.UTC(2026, 10, 26, 0, 0, 0);
    const metrics = Object.fromEntries(Array.from({ length: 12 }, (_, m) => [`channel_${m}_power`, 1000 + m + 0.123456]));
    const readings = Array.from({ length: 10_000 }, (_, i) => ({ deviceId, timestamp: new Date(T + i * 1000).toISOString(), metrics }));
    expect(JSON.stringify({ readings }).length).toBeGreaterThan(3 * 1024 * 1024);
    const res = await t.anon.post('/api/ingest').set('X-API-Key', ingestKey).send({ readings }).expect(200);
    expect(res.body.stored).toBe(10_000 * 12);
  }, 30_000);

  it('limits the public auth routes to 16 KB, refusing a longer declared body before reading it', async () => {
    const res = await t.anon
      .post('/api/auth/login')
      .send({ email: 'admin@test.local', password: 'x'.repeat(20 * 1024) })
      .expect(413);
    expect(res.body).toEqual({ statusCode: 413, message: 'Request body is larger than 16KB' });
    const stalled = await postAndStall(t.url, '/api/auth/login', {}, 1_000_000, 1024);
    expect(stalled.status).toBe(413);
    expect(stalled.head).toMatch(/\r\nConnection: close\r\n/i);
    // A login of ordinary size is unaffected.
    await t.anon.post('/api/auth/login').send({ email: 'admin@test.local', password: 'admin-password-123' }).expect(200);
  });

  it('answers 400 to JSON nested 20,000 deep on login, ingest and alarm rules, before anything walks it', async () => {
    const deep = '['.repeat(20_000) + ']'.repeat(20_000);
    // 40 KB: past the login limit, refused for its size before its depth.
    await t.anon.post('/api/auth/login').set('Content-Type', 'application/json').send(`{"email": "admin@test.local", "password": ${deep}}`).expect(413);
    const cases: Array<[string, string]> = [
      ['/api/auth/login', `{"email": "admin@test.local", "password": ${'['.repeat(7000) + ']'.repeat(7000)}}`],
      ['/api/ingest', `{"readings": [{"deviceId": ${deviceId}, "metrics": {"voltage": 1}, "extra": {"a": ${deep}}}]}`],
      ['/api/alarms/rules', `{"clientId": ${clientId}, "name": ${deep}}`],
    ];
    for (const [path, body] of cases) {
      const res = await t.http.post(path).set('Content-Type', 'application/json').send(body);
      expect({ path, status: res.status, body: res.body }).toEqual({
        path,
        status: 400,
        body: {
          statusCode: 400,
          message: 'body: JSON nested more than 32 levels deep',
          errors: [{ field: 'body', message: 'JSON nested more than 32 levels deep' }],
        },
      });
    }
    // 32 levels are fine (ingest's extra nests 4 levels below the body).
    const nested = (levels: number): unknown => (levels === 0 ? 1 : { n: nested(levels - 1) });
    await t.http
      .post('/api/ingest')
      .send({ readings: [{ deviceId, metrics: { voltage: 1 }, extra: nested(28) }] })
      .expect(200);
  });
});

describe('assertJsonDepth', () => {
  const depth = (text: string, encoding = 'utf-8') => {
    try {
      assertJsonDepth(Buffer.from(text, encoding === 'utf-8' ? 'utf8' : 'utf16le'), encoding, 3);
      return 'ok';
    } catch (err) {
      return (err as Error).message;
    }
  };

  it('counts brackets outside strings only', () => {
    expect(depth('[[[1]]]')).toBe('ok');
    expect(depth('[[[[1]]]]')).toBe('JSON nested more than 3 levels deep');
    expect(depth('{"a": {"b": {"c": 1}}}')).toBe('ok');
    expect(depth('{"a": {"b": {"c": {}}}}')).toMatch(/more than 3/);
    expect(depth('["[[[[", "\\"[[[["]')).toBe('ok');
    expect(depth('[[1], [2], [3], [[4]]]')).toBe('ok');
    expect(depth('["ś[[[[", [[1]]]', 'utf-16le')).toBe('ok');
  });
});
