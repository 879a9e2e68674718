import { startTestApp, TestApp } from '../../testing/test-app';

describe('health, docs and dev endpoints', () => {
  let t: TestApp;
  beforeAll(async () => (t = await startTestApp()));
  afterAll(() => t.close());

  it('answers /api/health with the database check', async () => {
    const res = await t.http.get('/api/health').expect(200);
    expect(res.body).toMatchObject({ status: 'ok', name: 'Pieng Medidor Master', database: { ok: true } });
  });

  it('serves Swagger UI and an OpenAPI document whose operations are named after the methods', async () => {
    await t.http.get('/docs').expect(200);
    const doc = (await t.http.get('/docs-json').expect(200)).body;
    const ids: string[] = Object.values(doc.paths).flatMap((p) => Object.values(p as Record<string, { operationId: string }>).map((o) => o.operationId));
    expect(ids).toEqual(expect.arrayContaining(['listDevices', 'createDevice', 'ingestReadings', 'getSummary', 'getLinearRegression', 'acknowledgeAlarmEvent', 'getHealth']));
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
    } finally {
      await dev.close();
    }
  });
});
