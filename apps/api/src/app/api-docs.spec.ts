import { startTestApp, TestApp } from '../testing/test-app';

type Operation = { operationId: string; summary?: string; requestBody?: { content: Record<string, { examples?: Record<string, { value: unknown }> }> } };
type Document = { paths: Record<string, Record<string, Operation>> };

describe('API documentation (/docs)', () => {
  let t: TestApp;
  let doc: Document;
  beforeAll(async () => {
    t = await startTestApp();
    doc = (await t.http.get('/docs-json').expect(200)).body as Document;
  });
  afterAll(() => t.close());

  const operations = () => Object.entries(doc.paths).flatMap(([path, item]) => Object.entries(item).map(([method, op]) => ({ path, method, op })));
  const examplesOf = (operationId: string) => {
    const op = operations().find((o) => o.op.operationId === operationId)?.op;
    return Object.values(op?.requestBody?.content['application/json']?.examples ?? {}).map((e) => e.value as Record<string, unknown>);
  };

  it('gives every operation a one-line summary', () => {
    const missing = operations()
      .filter(({ op }) => !op.summary || op.summary.includes('\n') || op.summary.length > 160)
      .map(({ method, path }) => `${method.toUpperCase()} ${path}`);
    expect(missing).toEqual([]);
  });

  it('gives every JSON request body at least one example', () => {
    const missing = operations()
      .filter(({ op }) => op.requestBody?.content['application/json'] && !Object.keys(op.requestBody.content['application/json'].examples ?? {}).length)
      .map(({ method, path }) => `${method.toUpperCase()} ${path}`);
    expect(missing).toEqual([]);
  });

  it('has examples the API accepts as they are, on a fresh install', async () => {
    const [client] = examplesOf('createClient');
    const clientId = (await t.http.post('/api/clients').send(client).expect(201)).body.id as number;
    for (const body of examplesOf('updateClient')) await t.http.patch(`/api/clients/${clientId}`).send(body).expect(200);

    const site = (
      await t.http
        .post('/api/sites')
        .send({ ...examplesOf('createSite')[0], clientId })
        .expect(201)
    ).body as { id: number };
    const devices: Array<{ id: number; deviceType: string; siteId: number }> = [];
    for (const body of examplesOf('createDevice')) {
      const res = await t.http.post('/api/devices').send({ ...body, clientId });
      // The RS485 example names /dev/ttyUSB0, which this test machine does not have: every other field passed.
      if ((body['config'] as { transport?: string } | undefined)?.transport === 'rtu') {
        expect([res.status, res.body.message]).toEqual([400, 'config.port is not a serial port on this server']);
        continue;
      }
      expect([res.status, res.body.name ?? res.body.message]).toEqual([201, body['name']]);
      devices.push(res.body);
    }
    for (const body of examplesOf('updateDevice')) await t.http.patch(`/api/devices/${devices[0].id}`).send(body).expect(200);
    // The site example names its main meter: a device of that site here (new devices go to the client's first site).
    const meter = devices[0] as { id: number; siteId: number };
    await t.http
      .patch(`/api/sites/${meter.siteId}`)
      .send({ ...examplesOf('updateSite')[0], mainDeviceId: meter.id })
      .expect(200);

    const [branca, verde] = examplesOf('createTariff');
    const tariff = (
      await t.http
        .post('/api/tariffs')
        .send({ ...branca, clientId })
        .expect(201)
    ).body as { id: number };
    await t.http
      .post('/api/tariffs')
      .send({ ...verde, siteId: site.id })
      .expect(201);
    await t.http.patch(`/api/tariffs/${tariff.id}`).send(examplesOf('updateTariff')[0]).expect(200);
    await t.http.put('/api/bandeiras/2026-11').send(examplesOf('putBandeira')[0]).expect(200);

    for (const body of examplesOf('createUser'))
      await t.http
        .post('/api/users')
        .send({ ...body, clientId: body['clientId'] === null ? null : clientId })
        .expect(201);
    const user = (await t.http.get('/api/users').expect(200)).body.find((u: { email: string }) => u.email === examplesOf('createUser')[0]['email']);
    for (const body of examplesOf('updateUser')) await t.http.patch(`/api/users/${user.id}`).send(body).expect(200);
    for (const body of examplesOf('createApiKey'))
      await t.http
        .post('/api/api-keys')
        .send({ ...body, clientId })
        .expect(201);

    const rule = (
      await t.http
        .post('/api/alarms/rules')
        .send({ ...examplesOf('createAlarmRule')[0], clientId })
        .expect(201)
    ).body as { id: number };
    for (const body of examplesOf('updateAlarmRule')) await t.http.patch(`/api/alarms/rules/${rule.id}`).send(body).expect(200);

    for (const body of examplesOf('createNotificationChannel').filter((b) => b['type'] !== 'webhook'))
      await t.http
        .post('/api/notification-channels')
        .send({ ...body, clientId })
        .expect(201);

    const pushed = devices.find((d) => d.deviceType === 'api') as { id: number; uid?: string };
    const [byId] = examplesOf('ingestReadings');
    const readings = (byId['readings'] as Array<Record<string, unknown>>).map((r) => ({ ...r, deviceId: pushed.id }));
    const stored = (await t.http.post('/api/ingest').send({ readings }).expect(200)).body as { stored: number };
    expect(stored.stored).toBe(8);
  });

  it('answers without naming the framework', async () => {
    const res = await t.http.get('/api/health');
    expect(res.headers['x-powered-by']).toBeUndefined();
  });

  it('keeps the Authorize token across reloads of Swagger UI', async () => {
    const init = (await t.anon.get('/docs/swagger-ui-init.js').expect(200)).text;
    expect(init).toMatch(/"persistAuthorization":\s*true/);
  });
});
