import { startTestApp, TestApp } from '../../testing/test-app';
import { waitFor } from '../../testing/wait';
import { FaultProxy, fingerprint, ProxyMode, startFaultProxy, storedValues } from '../../testing/forwarding-test-kit';

/**
 * Two (and three) real instances on loopback, each on its own temporary database:
 * master -> fault-injecting proxy -> slave -> slave2 (a chain).
 */
jest.setTimeout(60_000);

const T0 = Date.UTC(2026, 10, 26, 0, 0, 0);
const FAST = { FORWARDER_BACKOFF_MIN_MS: '20', FORWARDER_BACKOFF_MAX_MS: '200', FORWARDER_TIMEOUT_MS: '800' };

type Agent = TestApp['http'];

/** n readings of two metrics for a device, values worked out from the index (distinct, checkable). */
const readingsFor = (deviceId: number, from: number, n: number, step = 1000) =>
  Array.from({ length: n }, (_, i) => ({
    deviceId,
    timestamp: T0 + (from + i) * step,
    metrics: { voltage: 220 + ((from + i) % 100) / 10, power: 1000 + from + i },
  }));

async function ingest(http: Agent, readings: unknown[]): Promise<void> {
  for (let i = 0; i < readings.length; i += 400)
    await http
      .post('/api/ingest')
      .send({ readings: readings.slice(i, i + 400) })
      .expect(200);
}

const status = async (t: TestApp) => (await t.http.get('/api/forwarding/status').expect(200)).body;
const drained = (t: TestApp) =>
  waitFor('the outbox to drain', async () => {
    const s = await status(t);
    return s.pending === 0 && s.overflowDevices === 0 && !s.full ? s : undefined;
  });
const getter = (t: TestApp) => async (path: string) => {
  const res = await t.http.get(path);
  return { status: res.status, body: res.body };
};

describe('forwarding between instances', () => {
  let slave2: TestApp;
  let slave: TestApp;
  let master: TestApp;
  let proxy: FaultProxy;
  let slaveClientId: number;
  let masterClientId: number;
  const uids: string[] = [];
  const masterDevices: number[] = [];

  /** Creates a client with a forward key on an instance (the key a master forwards with); returns the key. */
  const ingestKey = async (t: TestApp, name: string, externalId: string) => {
    const client = await t.http.post('/api/clients').send({ name, externalId }).expect(201);
    const key = await t.http.post('/api/api-keys').send({ name: 'forwarding', scope: 'forward', clientId: client.body.id }).expect(201);
    return { clientId: client.body.id as number, key: key.body.key as string };
  };

  beforeAll(async () => {
    slave2 = await startTestApp();
    const k2 = await ingestKey(slave2, 'Acme', 'ACME');
    slave = await startTestApp({ FORWARDER_URL: slave2.url, FORWARDER_API_KEY: k2.key, ...FAST });
    const k1 = await ingestKey(slave, 'Acme', 'ACME');
    slaveClientId = k1.clientId;
    proxy = await startFaultProxy(() => slave.url);
    master = await startTestApp({ FORWARDER_URL: proxy.url, FORWARDER_API_KEY: k1.key, FORWARDER_BATCH_SIZE: '100', ...FAST });
    masterClientId = (await master.http.post('/api/clients').send({ name: 'Acme', externalId: 'ACME' }).expect(201)).body.id;
    for (const name of ['Feeder 1', 'Feeder 2']) {
      const d = await master.http.post('/api/devices').send({ clientId: masterClientId, name, deviceType: 'api' }).expect(201);
      masterDevices.push(d.body.id);
      uids.push(d.body.uid);
    }
  });
  afterAll(async () => {
    await master?.close();
    await proxy?.close();
    await slave?.close();
    await slave2?.close();
  });

  const expectSameValues = async () => {
    const [m, s, s2] = await Promise.all([storedValues(getter(master), uids), storedValues(getter(slave), uids), storedValues(getter(slave2), uids)]);
    expect(fingerprint(s)).toEqual(fingerprint(m));
    expect(fingerprint(s2)).toEqual(fingerprint(m));
    expect(fingerprint(m).distinctKeys).toBe(m.length);
    return m.length;
  };

  it('forwards every stored reading, oldest first in batches, and creates the devices by uid on the slave (and on to the next hop)', async () => {
    await ingest(master.http, [...readingsFor(masterDevices[0], 0, 250), ...readingsFor(masterDevices[1], 0, 250)]);
    const s = await drained(master);
    expect(s).toMatchObject({ enabled: true, target: `${proxy.url}/api/ingest`, deadLettered: 0, full: false, consecutiveFailures: 0 });
    expect(s.lastSuccessAt).not.toBeNull();
    await drained(slave);
    expect(await expectSameValues()).toBe(1000);
    // The end of the chain has no target: idle, and it queues nothing.
    expect(await status(slave2)).toMatchObject({ enabled: false, target: null, pending: 0, deadLettered: 0, full: false });

    // On the slave: created under the API key's client, as api devices (never polled), readings marked forward.
    const devices = (await slave.http.get('/api/devices').expect(200)).body as Array<{
      uid: string;
      name: string;
      deviceType: string;
      clientId: number;
      id: number;
    }>;
    const feeder1 = devices.find((d) => d.uid === uids[0]);
    expect(feeder1).toMatchObject({ name: 'Feeder 1', deviceType: 'api', clientId: slaveClientId });
    const page = await slave.http.get('/api/metrics').query({ deviceId: feeder1?.id, metric: 'power', limit: 2 }).expect(200);
    expect(page.body.items).toEqual([
      { deviceId: feeder1?.id, metric: 'power', ts: new Date(T0).toISOString(), value: 1000, source: 'forward' },
      { deviceId: feeder1?.id, metric: 'power', ts: new Date(T0 + 1000).toISOString(), value: 1001, source: 'forward' },
    ]);
  });

  it('does not queue duplicates: a batch ingested again on the master is not sent again', async () => {
    const before = (await status(master)).forwardedSinceStart;
    await ingest(master.http, readingsFor(masterDevices[0], 0, 50));
    const s = await drained(master);
    expect(s.forwardedSinceStart).toBe(before);
  });

  it('stores a forwarded batch sent twice once and answers 2xx both times', async () => {
    const key = (await ingestKey(slave, 'Twice', 'TWICE')).key;
    const body = {
      source: 'forward',
      devices: [{ uid: 'twice-meter-1', name: 'Twice', deviceType: 'modbus', driver: 'sdm630', clientExternalId: 'TWICE' }],
      readings: [{ deviceUid: 'twice-meter-1', timestamp: T0, metrics: { voltage: 230, current: 2 } }],
    };
    const first = await slave.anon.post('/api/ingest').set('X-API-Key', key).send(body).expect(200);
    expect(first.body).toMatchObject({ stored: 2, duplicates: 0 });
    const again = await slave.anon.post('/api/ingest').set('X-API-Key', key).send(body).expect(200);
    expect(again.body).toMatchObject({ stored: 0, duplicates: 2 });
  });

  it('refuses a uid that belongs to another client on the slave (409), and a key of another client by external id, never merging', async () => {
    const other = await ingestKey(slave, 'Other', 'OTHER');
    const res = await slave.anon
      .post('/api/ingest')
      .set('X-API-Key', other.key)
      .send({
        source: 'forward',
        devices: [{ uid: uids[0], name: 'Feeder 1' }],
        readings: [{ deviceUid: uids[0], timestamp: T0 + 999_000, metrics: { voltage: 1 } }],
      })
      .expect(409);
    expect(res.body.message).toMatch(/another client/);
    const claimed = await slave.anon
      .post('/api/ingest')
      .set('X-API-Key', other.key)
      .send({
        source: 'forward',
        devices: [{ uid: 'new-uid-1', name: 'X', clientExternalId: 'ACME' }],
        readings: [{ deviceUid: 'new-uid-1', timestamp: T0, metrics: { voltage: 1 } }],
      })
      .expect(409);
    expect(claimed.body.message).toMatch(/ACME/);
    // An undescribed unknown uid is not found; nothing was created.
    await slave.anon
      .post('/api/ingest')
      .set('X-API-Key', other.key)
      .send({ readings: [{ deviceUid: 'new-uid-2', timestamp: T0, metrics: { voltage: 1 } }] })
      .expect(404);
    const devices = (await slave.http.get('/api/devices').query({ clientId: other.clientId }).expect(200)).body;
    expect(devices).toEqual([]);
  });

  it('loses and duplicates nothing while the slave answers 500s, times out, and fails after committing', async () => {
    const script: ProxyMode[] = ['fail500', 'fail500', 'hang', 'commitThenFail', 'fail500', 'commitThenHang', 'down', 'fail500'];
    const start = proxy.requests;
    proxy.plan = (n) => script[n - start - 1] ?? 'pass';
    await ingest(master.http, [...readingsFor(masterDevices[0], 1000, 300), ...readingsFor(masterDevices[1], 1000, 300)]);
    const s = await drained(master);
    proxy.plan = () => 'pass';
    expect(proxy.requests - start).toBeGreaterThan(script.length);
    expect(s.lastError).toMatch(/500|502|no answer within 800 ms|ECONNRESET|socket|fetch failed/);
    expect(s.consecutiveFailures).toBe(0);
    await drained(slave);
    expect(await expectSameValues()).toBe(1000 + 1200);
  });

  it('dead-letters what the slave refuses for good, without blocking the others; retry after the fix delivers it', async () => {
    // A master device whose uid the slave already has under another client: 409 for its readings only.
    const other = await ingestKey(slave, 'Squatter', 'SQUAT');
    const bad = await master.http.post('/api/devices').send({ clientId: masterClientId, name: 'Contested', deviceType: 'api' }).expect(201);
    const squat = await slave.anon
      .post('/api/ingest')
      .set('X-API-Key', other.key)
      .send({ devices: [{ uid: bad.body.uid, name: 'Squatter' }], readings: [{ deviceUid: bad.body.uid, timestamp: T0, metrics: { x: 1 } }] })
      .expect(200);
    expect(squat.body.stored).toBe(1);

    // Interleaved in the same batches as good readings.
    const good = readingsFor(masterDevices[0], 5000, 90);
    const mixed = good.flatMap((r, i) => (i % 30 === 7 ? [r, { deviceId: bad.body.id, timestamp: T0 + i * 1000, metrics: { voltage: 230 + i } }] : [r]));
    await ingest(master.http, mixed);
    const s = await waitFor('the dead letters', async () => {
      const st = await status(master);
      return st.pending === 0 && st.deadLettered === 3 ? st : undefined;
    });
    expect(s.lastDeadLetterError).toMatch(/409/);
    await drained(slave);
    const onSlave = await storedValues(getter(slave), [uids[0]]);
    expect(onSlave.filter((v) => Number(new Date(v.ts)) >= T0 + 5000_000)).toHaveLength(180);

    // The fix: the squatting device goes; the dead letters are retried and land under the key's client.
    const squatter = ((await slave.http.get('/api/devices').query({ clientId: other.clientId }).expect(200)).body as Array<{ id: number }>)[0];
    await slave.http.delete(`/api/devices/${squatter.id}`).query({ purge: true }).expect(204);
    expect((await master.http.post('/api/forwarding/dead-letters/retry').expect(200)).body).toEqual({ requeued: 3 });
    await waitFor('the retried dead letters', async () => {
      const st = await status(master);
      return st.pending === 0 && st.deadLettered === 0;
    });
    const moved = (await slave.http.get('/api/devices').query({ clientId: slaveClientId }).expect(200)).body as Array<{ uid: string; id: number }>;
    const contested = moved.find((d) => d.uid === bad.body.uid);
    expect(contested).toBeDefined();
    const values = await slave.http.get('/api/metrics').query({ deviceId: contested?.id }).expect(200);
    expect(values.body.items.map((i: { value: number }) => i.value)).toEqual([230 + 7, 230 + 37, 230 + 67]);
  });

  it('lets platform staff (operator, admin) see and retry, and refuses client users and viewers', async () => {
    const operator = await master.userAgent('operator', null);
    await operator.get('/api/forwarding/status').expect(200);
    await operator.post('/api/forwarding/dead-letters/retry').expect(200);
    await (await master.userAgent('viewer', null)).get('/api/forwarding/status').expect(403);
    const clientAdmin = await master.userAgent('admin', masterClientId);
    await clientAdmin.get('/api/forwarding/status').expect(403);
    await clientAdmin.post('/api/forwarding/dead-letters/retry').expect(403);
    await master.anon.get('/api/forwarding/status').expect(401);
  });
});

describe('a bounded outbox', () => {
  let slave: TestApp;
  let master: TestApp;
  let proxy: FaultProxy;

  beforeAll(async () => {
    slave = await startTestApp();
    const client = await slave.http.post('/api/clients').send({ name: 'Acme' }).expect(201);
    const key = (await slave.http.post('/api/api-keys').send({ name: 'f', scope: 'forward', clientId: client.body.id }).expect(201)).body.key;
    proxy = await startFaultProxy(() => slave.url);
    // 0.02 MB: about 200 readings of two metrics.
    master = await startTestApp({ FORWARDER_URL: proxy.url, FORWARDER_API_KEY: key, FORWARDER_BATCH_SIZE: '50', FORWARDER_MAX_OUTBOX_MB: '0.02', ...FAST });
  });
  afterAll(async () => {
    await master?.close();
    await proxy?.close();
    await slave?.close();
  });

  it('stops growing at its bound while the slave is down, says full, and forwards everything once it drains', async () => {
    proxy.plan = () => 'fail500';
    const client = await master.http.post('/api/clients').send({ name: 'Acme' }).expect(201);
    const device = await master.http.post('/api/devices').send({ clientId: client.body.id, name: 'Busy', deviceType: 'api' }).expect(201);
    await ingest(master.http, readingsFor(device.body.id, 0, 1500));
    const full = await status(master);
    expect(full).toMatchObject({ full: true, overflowDevices: 1, outboxMaxBytes: Math.round(0.02 * 1024 * 1024) });
    expect(full.outboxBytes).toBeLessThanOrEqual(full.outboxMaxBytes);
    expect(full.pending).toBeLessThan(1500);
    // Stored locally all the same.
    expect((await storedValues(getter(master), [device.body.uid])).length).toBe(3000);

    proxy.plan = () => 'pass';
    await drained(master);
    const [m, s] = await Promise.all([storedValues(getter(master), [device.body.uid]), storedValues(getter(slave), [device.body.uid])]);
    expect(fingerprint(s)).toEqual(fingerprint(m));
    expect(s).toHaveLength(3000);
  });
});
