import { DataSource } from 'typeorm';
import { startSimulator, type RunningSimulator } from '@pieng/simulator';
import { startTestApp, TestApp } from '../../testing/test-app';

const TIMEOUT_MS = 300;

/*
 * The simulator's deterministic PZEM-004T registers, decoded by hand (PROTOCOLS.md, 32-bit values low word first):
 * voltage 2302 x 0.1 V = 230.2 V; current 1000 x 0.001 A = 1 A; power 2072 x 0.1 W = 207.2 W; energy 12345 Wh;
 * frequency 500 x 0.1 Hz = 50 Hz; power factor 90 x 0.01 = 0.9; alarm 0.
 */
const EXPECTED = [
  { metric: 'voltage', value: 230.2, unit: 'V' },
  { metric: 'current', value: 1, unit: 'A' },
  { metric: 'power', value: 207.2, unit: 'W' },
  { metric: 'energy', value: 12345, unit: 'Wh' },
  { metric: 'frequency', value: 50, unit: 'Hz' },
  { metric: 'powerFactor', value: 0.9, unit: null },
  { metric: 'alarm', value: 0, unit: null },
];

describe('POST /api/devices/test-read', () => {
  let sim: RunningSimulator;
  let t: TestApp;
  let clientId: number;
  const config = (extra: Record<string, unknown> = {}) => ({
    transport: 'tcp',
    host: '127.0.0.1',
    port: sim.tcpPort,
    unitId: 1,
    driver: 'pzem004t',
    timeoutMs: TIMEOUT_MS,
    ...extra,
  });
  const count = async (table: string) => Number((await t.app.get(DataSource).query(`SELECT COUNT(*) AS n FROM ${table}`))[0].n);

  beforeAll(async () => {
    sim = await startSimulator({
      tcpPort: 0,
      deterministic: true,
      meters: [
        { model: 'pzem004t', slaveId: 1 },
        { model: 'pzem004t', slaveId: 2 },
      ],
    });
    sim.setSilent(2, true);
    // The simulator is on loopback, which users of a client may reach only when staff list it (see plant-network.spec.ts).
    t = await startTestApp({ MODBUS_ALLOWED_NETWORKS: '127.0.0.0/8' });
    clientId = (await t.http.post('/api/clients').send({ name: 'Test-read client' }).expect(201)).body.id;
  });
  afterAll(async () => {
    await t?.close();
    await sim?.close();
  });

  it('answers the values the simulator serves, with units and the read time, and stores nothing', async () => {
    const before = { measurements: await count('measurements'), devices: await count('devices') };
    const operator = await t.userAgent('operator', clientId);
    const res = await operator.post('/api/devices/test-read').send({ deviceType: 'modbus', config: config() }).expect(200);
    expect(res.body.source).toBe('modbus-tcp');
    expect(res.body.durationMs).toBeGreaterThan(0);
    expect(res.body.durationMs).toBeLessThan(5000);
    const byMetric = new Map((res.body.metrics as typeof EXPECTED).map((m) => [m.metric, m]));
    expect([...byMetric.keys()].sort()).toEqual(EXPECTED.map((m) => m.metric).sort());
    for (const e of EXPECTED) {
      expect(byMetric.get(e.metric)?.unit).toBe(e.unit);
      expect(byMetric.get(e.metric)?.value).toBeCloseTo(e.value, 9);
    }
    expect({ measurements: await count('measurements'), devices: await count('devices') }).toEqual(before);
  });

  it('answers 400 naming the field when the config is invalid, exactly as device creation does', async () => {
    const bad = { deviceType: 'modbus', config: config({ unitId: 300, driver: 'nope' }) };
    const res = await t.http.post('/api/devices/test-read').send(bad).expect(400);
    const created = await t.http
      .post('/api/devices')
      .send({ clientId, name: 'Bad', ...bad })
      .expect(400);
    expect(res.body.errors).toEqual(created.body.errors);
    const fields = (res.body.errors as Array<{ field: string }>).map((e) => e.field);
    expect(fields).toEqual(expect.arrayContaining(['config.driver']));
    expect(res.body.message).toContain('config.driver');
    const typeRes = await t.http.post('/api/devices/test-read').send({ deviceType: 'api', config: {} }).expect(400);
    expect(JSON.stringify(typeRes.body.errors)).toContain('deviceType');
  });

  it('answers 502 naming the host and port when nothing listens there', async () => {
    const res = await t.http
      .post('/api/devices/test-read')
      .send({ deviceType: 'modbus', config: config({ port: 1 }) })
      .expect(502);
    expect(res.body.message).toContain('127.0.0.1:1');
  });

  it('answers 504 naming the link when the meter stays silent', async () => {
    const res = await t.http
      .post('/api/devices/test-read')
      .send({ deviceType: 'modbus', config: config({ unitId: 2 }) })
      .expect(504);
    expect(res.body.message).toContain(`127.0.0.1:${sim.tcpPort}`);
    expect(res.body.message).toContain(`${TIMEOUT_MS} ms`);
  });

  it('refuses a viewer (403) and reads nothing for them', async () => {
    const viewer = await t.userAgent('viewer', clientId);
    const before = sim.receiveLog.length;
    await viewer.post('/api/devices/test-read').send({ deviceType: 'modbus', config: config() }).expect(403);
    expect(sim.receiveLog.length).toBe(before);
  });

  it('answers 404 for the id of a device the caller cannot see', async () => {
    const other = (await t.http.post('/api/clients').send({ name: 'Other client' }).expect(201)).body.id;
    const theirs = (await t.http.post('/api/devices').send({ clientId: other, name: 'Theirs', deviceType: 'modbus', config: config() }).expect(201)).body.id;
    const operator = await t.userAgent('operator', clientId);
    await operator.post('/api/devices/test-read').send({ deviceType: 'modbus', config: config(), deviceId: theirs }).expect(404);
    await t.http.post('/api/devices/test-read').send({ deviceType: 'modbus', config: config(), deviceId: theirs }).expect(200);
  });
});
