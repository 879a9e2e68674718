import { startTestApp, TestApp } from '../../testing/test-app';

/**
 * Generated from the OpenAPI document, so that a new route cannot be forgotten:
 * every route without a token answers 401 unless it is public; every write
 * route answers 403 to a viewer; every route with an id of client B answers
 * 404 to client A's admin, and nothing of B changes.
 */
interface Operation {
  method: string;
  path: string;
  operationId: string;
  isPublic: boolean;
}

/** Write routes any logged-in user may call about themselves. */
const SELF_SERVICE = new Set(['changePassword']);

/** Rows of the whole platform, no client's (bandeiras): a client's user reads them and may not write them (403, not 404). */
const PLATFORM_ROWS: Record<string, string> = { bandeiras: '2026-11' };

/** Bodies for routes whose body is required: a well-formed one, so that the answer is about the caller, not the body. */
const VALID_BODIES: Record<string, object> = {
  shelveAlarmEvent: { until: new Date(Date.now() + 3_600_000).toISOString(), reason: 'matrix' },
};

describe('authorization matrix (from /docs-json)', () => {
  let t: TestApp;
  let ops: Operation[];
  const b: Record<string, number | string> = {};
  let snapshotOfB: () => Promise<string>;

  beforeAll(async () => {
    t = await startTestApp();
    const doc = (await t.http.get('/docs-json').expect(200)).body as { paths: Record<string, Record<string, { operationId: string; 'x-public'?: boolean }>> };
    ops = Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, op]) => ({ method, path, operationId: op.operationId, isPublic: op['x-public'] === true })),
    );

    // Client B's rows, one of each kind that has an id in a path.
    const client = await t.http.post('/api/clients').send({ name: 'Client B' }).expect(201);
    b['clients'] = client.body.id;
    const device = await t.http.post('/api/devices').send({ clientId: b['clients'], name: 'Meter B', deviceType: 'api' }).expect(201);
    b['devices'] = device.body.id;
    const rule = await t.http
      .post('/api/alarms/rules')
      .send({ clientId: b['clients'], name: 'High', metric: 'voltage', operator: '>', threshold: 240 })
      .expect(201);
    b['alarms/rules'] = rule.body.id;
    await t.http
      .post('/api/ingest')
      .send({ readings: [{ deviceId: b['devices'], timestamp: '2026-11-26T10:00:00Z', metrics: { voltage: 250 } }] })
      .expect(200);
    b['alarms/events'] = (await t.http.get('/api/alarms/events').query({ deviceId: b['devices'] }).expect(200)).body[0].id;
    b['alarms/maintenance'] = (
      await t.http
        .post('/api/alarms/maintenance')
        .send({ deviceId: b['devices'], from: '2026-12-01T08:00:00Z', to: '2026-12-01T12:00:00Z', reason: 'B work' })
        .expect(201)
    ).body.id;
    const user = await t.http
      .post('/api/users')
      .send({ email: 'b-user@test.local', password: 'b-user-password', role: 'viewer', clientId: b['clients'] })
      .expect(201);
    b['users'] = user.body.id;
    b['api-keys'] = (await t.http.post('/api/api-keys').send({ name: 'B key', scope: 'read', clientId: b['clients'] }).expect(201)).body.id;
    b['sites'] = (await t.http.get('/api/sites').query({ clientId: b['clients'] }).expect(200)).body[0].id;
    b['tariffs'] = (
      await t.http
        .post('/api/tariffs')
        .send({ siteId: b['sites'], name: 'B tariff', modality: 'convencional', currency: 'BRL', validFrom: '2026-01-01', energy: { foraPonta: 0.7 } })
        .expect(201)
    ).body.id;
    b['notification-channels'] = (
      await t.http
        .post('/api/notification-channels')
        .send({ clientId: b['clients'], name: 'B mail', type: 'email', config: { to: ['b@client.example'] } })
        .expect(201)
    ).body.id;
    b['reports/schedules'] = (
      await t.http.post('/api/reports/schedules').send({ clientId: b['clients'], channelId: b['notification-channels'], lang: 'en', dayOfMonth: 3 }).expect(201)
    ).body.id;
    // A line scan by platform staff (nothing listens on port 1: it fails at once): no client's user may see or cancel it.
    b['lines/scan'] = (
      await t.http
        .post('/api/lines/scan')
        .send({ connection: { transport: 'tcp', host: '127.0.0.1', port: 1 }, from: 1, to: 1, timeoutMs: 100 })
        .expect(201)
    ).body.jobId;
    // A saved energy baseline of B: a constant fitted to four days of its energy counter.
    await t.http
      .post('/api/ingest')
      .send({
        readings: [0, 1, 2, 3, 4].map((d) => ({
          deviceId: b['devices'],
          timestamp: Date.UTC(2026, 10, 20 + d),
          metrics: { energy: 1000 + d * 5000 + (d % 2) * 500 },
        })),
      })
      .expect(200);
    b['analytics/baselines'] = (
      await t.http
        .post('/api/analytics/baselines')
        .send({ name: 'B baseline', deviceId: b['devices'], from: '2026-11-20', to: '2026-11-23T23:59:59Z', interval: 'day', drivers: [] })
        .expect(201)
    ).body.id;
    await t.http.put(`/api/bandeiras/${PLATFORM_ROWS['bandeiras']}`).send({ flag: 'amarela', adderPer100kWh: 1.885 }).expect(200);

    snapshotOfB = async () =>
      JSON.stringify([
        (await t.http.get(`/api/clients/${b['clients']}`)).body,
        (await t.http.get(`/api/devices/${b['devices']}`)).body,
        (await t.http.get('/api/alarms/rules').query({ clientId: b['clients'] })).body,
        (await t.http.get('/api/alarms/events').query({ clientId: b['clients'] })).body,
        (await t.http.get('/api/alarms/maintenance').query({ clientId: b['clients'] })).body,
        (await t.http.get(`/api/alarms/events/${b['alarms/events']}/history`)).body,
        (await t.http.get(`/api/users/${b['users']}`)).body,
        (await t.http.get('/api/api-keys')).body.filter((k: { clientId: number }) => k.clientId === b['clients']),
        (await t.http.get('/api/metrics').query({ deviceId: b['devices'] })).body,
        (await t.http.get(`/api/sites/${b['sites']}`)).body,
        (await t.http.get(`/api/tariffs/${b['tariffs']}`)).body,
        (await t.http.get('/api/bandeiras').query({ from: '2026-11', to: '2026-11' })).body,
        (await t.http.get(`/api/notification-channels/${b['notification-channels']}`)).body,
        (await t.http.get('/api/reports/schedules').query({ clientId: b['clients'] })).body,
      ]);
  });
  afterAll(() => t.close());

  const call = (agent: TestApp['anon'] | TestApp['http'], op: Operation, path: string) => {
    const m = op.method as 'get' | 'post' | 'patch' | 'delete' | 'put';
    const req = agent[m](path);
    return m === 'get' || m === 'delete' ? req : req.send(VALID_BODIES[op.operationId] ?? {});
  };
  const withIds = (path: string, id: number | string) => path.replace(/\{[^}]+\}/g, String(id));

  it('lists the routes it checks', () => {
    expect(ops.length).toBeGreaterThan(30);
    expect(
      ops
        .filter((o) => o.isPublic)
        .map((o) => o.operationId)
        .sort(),
    ).toEqual(['getHealth', 'getLiveness', 'getReadiness', 'login', 'logout', 'refreshSession']);
  });

  it('answers 401 to every non-public route without credentials', async () => {
    const wrong: string[] = [];
    for (const op of ops.filter((o) => !o.isPublic)) {
      const res = await call(t.anon, op, withIds(op.path, 1));
      if (res.status !== 401) wrong.push(`${op.method.toUpperCase()} ${op.path} -> ${res.status}`);
    }
    expect(wrong).toEqual([]);
  });

  it('answers 403 to a viewer on every write route', async () => {
    const viewer = await t.userAgent('viewer', null);
    const wrong: string[] = [];
    for (const op of ops.filter((o) => !o.isPublic && o.method !== 'get' && !SELF_SERVICE.has(o.operationId))) {
      const res = await call(viewer, op, withIds(op.path, 1));
      if (res.status !== 403) wrong.push(`${op.method.toUpperCase()} ${op.path} -> ${res.status}`);
    }
    expect(wrong).toEqual([]);
  });

  /** The status of a call with these headers; a stream (GET /api/live) is closed once its status is known. */
  const statusWith = async (headers: Record<string, string>, op: Operation, path: string): Promise<number> => {
    const abort = new AbortController();
    const hasBody = op.method !== 'get' && op.method !== 'delete';
    const res = await fetch(t.url + path, {
      method: op.method.toUpperCase(),
      headers: { ...headers, ...(hasBody && { 'Content-Type': 'application/json' }) },
      body: hasBody ? '{}' : undefined,
      signal: abort.signal,
    });
    abort.abort();
    return res.status;
  };

  it('answers 403 to an API key wherever its scope does not reach: ingest and forward keys only ingest, a read key reads only what a viewer of its client reads', async () => {
    const keyOfB = async (scope: string) =>
      (
        await t.http
          .post('/api/api-keys')
          .send({ name: `B ${scope}`, scope, clientId: b['clients'] })
          .expect(201)
      ).body.key as string;
    const ingestKey = { 'X-API-Key': await keyOfB('ingest') };
    const forwardKey = { 'X-API-Key': await keyOfB('forward') };
    const readKey = { 'X-API-Key': await keyOfB('read') };
    await t.http.post('/api/users').send({ email: 'b-viewer@test.local', password: 'b-viewer-password', role: 'viewer', clientId: b['clients'] }).expect(201);
    const viewerToken = (await t.anon.post('/api/auth/login').send({ email: 'b-viewer@test.local', password: 'b-viewer-password' }).expect(200)).body
      .accessToken;
    const viewerOfB = { Authorization: `Bearer ${viewerToken}` };
    const wrong: string[] = [];
    for (const op of ops.filter((o) => !o.isPublic)) {
      const path = withIds(op.path, b[Object.keys(b).find((k) => op.path.startsWith(`/api/${k}/{`)) ?? 'clients']);
      const ingest = await statusWith(ingestKey, op, path);
      if (op.operationId === 'ingestReadings' ? ingest === 401 || ingest === 403 : ingest !== 403)
        wrong.push(`ingest key: ${op.method.toUpperCase()} ${op.path} -> ${ingest}`);
      const forward = await statusWith(forwardKey, op, path);
      if (op.operationId === 'ingestReadings' ? forward === 401 || forward === 403 : forward !== 403)
        wrong.push(`forward key: ${op.method.toUpperCase()} ${op.path} -> ${forward}`);
      const read = await statusWith(readKey, op, path);
      // A viewer's answer is taken for reads only: a viewer may call a few writes about themselves (their password), a key none.
      const viewerRefused = op.method !== 'get' || (await statusWith(viewerOfB, op, path)) === 403;
      if (viewerRefused && read !== 403) wrong.push(`read key: ${op.method.toUpperCase()} ${op.path} -> ${read}`);
    }
    expect(wrong).toEqual([]);
    // Not vacuous: the key reads its client's devices, but not the names and prefixes of the client's keys, nor its users.
    expect(await statusWith(readKey, { method: 'get', path: '/api/devices', operationId: 'listDevices', isPublic: false }, '/api/devices')).toBe(200);
    expect(await statusWith(readKey, { method: 'get', path: '/api/api-keys', operationId: 'listApiKeys', isPublic: false }, '/api/api-keys')).toBe(403);
    expect(await statusWith(readKey, { method: 'get', path: '/api/users', operationId: 'listUsers', isPublic: false }, '/api/users')).toBe(403);
    // A request per route and key scope: several hundred on a two-core machine.
  }, 120_000);

  it("answers 404 to client A's admin for every route with an id of client B, and changes nothing", async () => {
    const a = await t.http.post('/api/clients').send({ name: 'Client A' }).expect(201);
    const adminOfA = await t.userAgent('admin', a.body.id);
    const before = await snapshotOfB();
    const wrong: string[] = [];
    for (const op of ops.filter((o) => !o.isPublic && o.path.includes('{'))) {
      const platformRow = Object.keys(PLATFORM_ROWS).find((k) => op.path.startsWith(`/api/${k}/{`));
      if (platformRow) {
        const res = await call(adminOfA, op, withIds(op.path, PLATFORM_ROWS[platformRow]));
        if (res.status !== (op.method === 'get' ? 200 : 403)) wrong.push(`${op.method.toUpperCase()} ${op.path} -> ${res.status}`);
        continue;
      }
      const kind = Object.keys(b).find((k) => op.path.startsWith(`/api/${k}/{`));
      if (!kind) {
        wrong.push(`${op.path}: no row of client B for this route; add one to the test`);
        continue;
      }
      const res = await call(adminOfA, op, withIds(op.path, b[kind]));
      if (res.status !== 404) wrong.push(`${op.method.toUpperCase()} ${op.path} -> ${res.status}`);
    }
    expect(wrong).toEqual([]);

    // Ids of client B passed in queries and bodies are checked, never trusted.
    const device = b['devices'];
    await adminOfA.get('/api/metrics').query({ deviceId: device }).expect(404);
    await adminOfA.get('/api/metrics/summary').query({ deviceId: device, metric: 'voltage' }).expect(404);
    await adminOfA.get('/api/metrics/series').query({ deviceId: device, metrics: 'voltage' }).expect(404);
    await adminOfA.get('/api/metrics/linreg').query({ deviceId: device, x: 'time', y: 'voltage' }).expect(404);
    expect((await adminOfA.get('/api/devices').query({ clientId: b['clients'] }).expect(200)).body).toEqual([]);
    expect((await adminOfA.get('/api/alarms/events').query({ deviceId: device }).expect(200)).body).toEqual([]);
    expect((await adminOfA.get('/api/alarms/rules').query({ clientId: b['clients'] }).expect(200)).body).toEqual([]);
    expect((await adminOfA.get('/api/clients').expect(200)).body.map((c: { id: number }) => c.id)).toEqual([a.body.id]);
    await adminOfA
      .post('/api/ingest')
      .send({ readings: [{ deviceId: device, timestamp: '2026-11-26T11:00:00Z', metrics: { voltage: 1 } }] })
      .expect(404);
    await adminOfA.post('/api/devices').send({ clientId: b['clients'], name: 'x', deviceType: 'api' }).expect(404);
    await adminOfA.post('/api/alarms/rules').send({ clientId: b['clients'], name: 'x', metric: 'voltage', operator: '>', threshold: 1 }).expect(404);
    await adminOfA.post('/api/api-keys').send({ name: 'x', scope: 'read', clientId: b['clients'] }).expect(404);
    await adminOfA.post('/api/users').send({ email: 'x@test.local', password: 'x-password-123', role: 'viewer', clientId: b['clients'] }).expect(404);
    await adminOfA.post('/api/sites').send({ clientId: b['clients'], name: 'x' }).expect(404);
    await adminOfA
      .post('/api/tariffs')
      .send({ siteId: b['sites'], name: 'x', modality: 'convencional', currency: 'BRL', validFrom: '2027-01-01', energy: { foraPonta: 1 } })
      .expect(404);
    await adminOfA.patch(`/api/devices/${device}`).send({ siteId: b['sites'] }).expect(404);
    expect((await adminOfA.get('/api/sites').query({ clientId: b['clients'] }).expect(200)).body).toEqual([]);
    expect((await adminOfA.get('/api/tariffs').query({ siteId: b['sites'] }).expect(200)).body).toEqual([]);
    await adminOfA
      .post('/api/notification-channels')
      .send({ clientId: b['clients'], name: 'x', type: 'email', config: { to: ['x@y.example'] } })
      .expect(404);
    expect((await adminOfA.get('/api/notification-channels').query({ clientId: b['clients'] }).expect(200)).body).toEqual([]);
    expect((await adminOfA.get('/api/notifications').query({ channelId: b['notification-channels'] }).expect(200)).body).toEqual([]);
    expect(await snapshotOfB()).toBe(before);
  }, 120_000);
});
