import { startTestApp, TestApp } from '../../testing/test-app';

/** MAX_DEVICES_PER_CLIENT=5 here: each client may have five devices, however they are created. */
const LIMIT = 5;

const forwardedBatch = (uids: string[]) => ({
  source: 'forward',
  readings: uids.map((uid) => ({ deviceUid: uid, timestamp: '2026-11-26T10:00:00Z', metrics: { voltage: 230 } })),
  devices: uids.map((uid) => ({ uid, name: `Meter ${uid}` })),
});

describe('MAX_DEVICES_PER_CLIENT', () => {
  let t: TestApp;
  const newClient = async (name: string) => (await t.http.post('/api/clients').send({ name }).expect(201)).body.id as number;
  const forwardKey = async (clientId: number) =>
    (await t.http.post('/api/api-keys').send({ name: 'master', scope: 'forward', clientId }).expect(201)).body.key as string;
  const devicesOf = async (clientId: number) => (await t.http.get('/api/devices').query({ clientId }).expect(200)).body as Array<{ id: number; uid: string }>;
  const createDevice = (clientId: number, name: string) => t.http.post('/api/devices').send({ clientId, name, deviceType: 'api' });

  beforeAll(async () => {
    t = await startTestApp({ MAX_DEVICES_PER_CLIENT: String(LIMIT) });
  });
  afterAll(() => t?.close());

  it('stops POST /api/devices at the limit with a 409 that names the client and the variable; other clients are not affected', async () => {
    const full = await newClient('Full plant');
    for (let i = 1; i <= LIMIT; i++) await createDevice(full, `Meter ${i}`).expect(201);
    const refused = await createDevice(full, 'One too many').expect(409);
    expect(refused.body).toEqual({
      statusCode: 409,
      message:
        'Client "Full plant" has 5 devices; 1 more device would pass the limit of 5 per client (MAX_DEVICES_PER_CLIENT). Delete devices it no longer uses, or raise the limit.',
    });
    expect(await devicesOf(full)).toHaveLength(LIMIT);

    // Moving a device into the full client counts too; deleting one makes room again.
    const other = await newClient('Other plant');
    const mover = (await createDevice(other, 'Mover').expect(201)).body.id;
    await t.http.patch(`/api/devices/${mover}`).send({ clientId: full }).expect(409);
    const [first] = await devicesOf(full);
    await t.http.delete(`/api/devices/${first.id}`).expect(204);
    await t.http.patch(`/api/devices/${mover}`).send({ clientId: full }).expect(200);
    expect(await devicesOf(full)).toHaveLength(LIMIT);
  });

  it('refuses a forwarded batch whose new devices would pass the limit, whole: no device and no reading of it is stored', async () => {
    const clientId = await newClient('Slave plant');
    const key = await forwardKey(clientId);
    await t.anon
      .post('/api/ingest')
      .set('X-API-Key', key)
      .send(forwardedBatch(['s-1', 's-2', 's-3']))
      .expect(200);
    const refused = await t.anon
      .post('/api/ingest')
      .set('X-API-Key', key)
      .send(forwardedBatch(['s-1', 's-4', 's-5', 's-6']))
      .expect(409);
    expect(refused.body.message).toBe(
      'Client "Slave plant" has 3 devices; 3 more devices would pass the limit of 5 per client (MAX_DEVICES_PER_CLIENT). Delete devices it no longer uses, or raise the limit.',
    );
    expect((await devicesOf(clientId)).map((d) => d.uid)).toEqual(['s-1', 's-2', 's-3']);
    // Known uids count for nothing: two new ones fit exactly.
    await t.anon
      .post('/api/ingest')
      .set('X-API-Key', key)
      .send(forwardedBatch(['s-1', 's-4', 's-5']))
      .expect(200);
    expect(await devicesOf(clientId)).toHaveLength(LIMIT);
    const [s1] = (await devicesOf(clientId)).filter((d) => d.uid === 's-1');
    // s-1's reading of the refused batch was not stored either (same timestamp: one value, not two).
    expect((await t.http.get('/api/metrics').query({ deviceId: s1.id }).expect(200)).body.items).toHaveLength(1);
  });

  it('holds under concurrent batches: of twelve batches of one new device each, five are stored and seven refused', async () => {
    const clientId = await newClient('Busy slave');
    const key = await forwardKey(clientId);
    const answers = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        t.anon
          .post('/api/ingest')
          .set('X-API-Key', key)
          .send(forwardedBatch([`c-${i}`])),
      ),
    );
    const statuses = answers.map((a) => a.status).sort();
    expect(statuses).toEqual([...Array(LIMIT).fill(200), ...Array(12 - LIMIT).fill(409)]);
    expect(await devicesOf(clientId)).toHaveLength(LIMIT);
  });
});
