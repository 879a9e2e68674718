import { seedDevice, startTestApp, TestApp } from '../../testing/test-app';

const T0 = Date.UTC(2026, 10, 26, 8, 0, 0);
const reading = (deviceId: number, i: number, voltage: number) => ({ deviceId, timestamp: new Date(T0 + i * 1000).toISOString(), metrics: { voltage } });

describe('alarms', () => {
  let t: TestApp;
  let a: { clientId: number; deviceId: number };
  let b: { clientId: number; deviceId: number };
  let ruleId: number;

  beforeAll(async () => {
    t = await startTestApp();
    a = await seedDevice(t.http, 'Meter A', 'Client A');
    b = await seedDevice(t.http, 'Meter B', 'Client B');
    const rule = await t.http
      .post('/api/alarms/rules')
      .send({ clientId: a.clientId, name: 'Overvoltage', metric: 'voltage', operator: '>', threshold: 242 })
      .expect(201);
    ruleId = rule.body.id;
  });
  afterAll(() => t.close());

  const events = (query: Record<string, unknown> = {}) =>
    t.http
      .get('/api/alarms/events')
      .query({ deviceId: a.deviceId, ...query })
      .expect(200);

  it('raises one event when the condition starts to hold, none while it keeps holding, and clears it', async () => {
    let res = await t.http
      .post('/api/ingest')
      .send({ readings: [reading(a.deviceId, 0, 230)] })
      .expect(200);
    expect(res.body.alarmEvents).toBe(0);

    res = await t.http
      .post('/api/ingest')
      .send({ readings: [reading(a.deviceId, 1, 245.5)] })
      .expect(200);
    expect(res.body.alarmEvents).toBe(1);
    res = await t.http
      .post('/api/ingest')
      .send({ readings: [reading(a.deviceId, 2, 250), reading(a.deviceId, 3, 243)] })
      .expect(200);
    expect(res.body.alarmEvents).toBe(0);

    let list = await events({ active: true });
    expect(list.body).toHaveLength(1);
    expect(list.body[0]).toMatchObject({
      ruleId,
      ruleName: 'Overvoltage',
      deviceId: a.deviceId,
      metric: 'voltage',
      value: 245.5,
      active: true,
      acknowledged: false,
      clearedAt: null,
    });
    expect(list.body[0].raisedAt).toBe(new Date(T0 + 1000).toISOString());

    res = await t.http
      .post('/api/ingest')
      .send({ readings: [reading(a.deviceId, 4, 231)] })
      .expect(200);
    expect(res.body.alarmsCleared).toBe(1);
    list = await events();
    expect(list.body).toHaveLength(1);
    expect(list.body[0]).toMatchObject({ active: false, clearedAt: new Date(T0 + 4000).toISOString() });
    expect((await events({ active: true })).body).toHaveLength(0);

    // The condition returning later is a new episode.
    res = await t.http
      .post('/api/ingest')
      .send({ readings: [reading(a.deviceId, 5, 260)] })
      .expect(200);
    expect(res.body.alarmEvents).toBe(1);
    expect((await events()).body).toHaveLength(2);
  });

  it('acknowledges an event, keeping the first acknowledgement time', async () => {
    const [latest] = (await events({ active: true })).body;
    const ack = await t.http.post(`/api/alarms/events/${latest.id}/ack`).expect(200);
    expect(ack.body).toMatchObject({ id: latest.id, acknowledged: true, active: true });
    const again = await t.http.post(`/api/alarms/events/${latest.id}/ack`).expect(200);
    expect(again.body.acknowledgedAt).toBe(ack.body.acknowledgedAt);
    expect((await events({ acknowledged: false })).body.every((e: { acknowledged: boolean }) => !e.acknowledged)).toBe(true);
    await t.http.post('/api/alarms/events/999999/ack').expect(404);
  });

  it("does not apply a client's rule to another client's devices", async () => {
    const res = await t.http
      .post('/api/ingest')
      .send({ readings: [reading(b.deviceId, 10, 300)] })
      .expect(200);
    expect(res.body.alarmEvents).toBe(0);
  });

  it('ignores disabled rules and honours device-specific rules', async () => {
    await t.http.patch(`/api/alarms/rules/${ruleId}`).send({ enabled: false }).expect(200);
    let res = await t.http
      .post('/api/ingest')
      .send({ readings: [reading(a.deviceId, 20, 230), reading(a.deviceId, 21, 300)] })
      .expect(200);
    expect(res.body.alarmEvents).toBe(0);
    const onB = await t.http
      .post('/api/alarms/rules')
      .send({ clientId: b.clientId, deviceId: b.deviceId, name: 'Undervoltage', metric: 'voltage', operator: '<', threshold: 200 })
      .expect(201);
    res = await t.http
      .post('/api/ingest')
      .send({ readings: [reading(b.deviceId, 30, 190)] })
      .expect(200);
    expect(res.body.alarmEvents).toBe(1);
    const rules = await t.http.get('/api/alarms/rules').query({ clientId: b.clientId }).expect(200);
    expect(rules.body.map((r: { id: number }) => r.id)).toEqual([onB.body.id]);
  });

  it('validates rules: operator, metric name, a device of another client', async () => {
    const bad = await t.http.post('/api/alarms/rules').send({ clientId: a.clientId, name: 'x', metric: 'voltage', operator: '=>', threshold: 1 }).expect(400);
    expect(bad.body.errors[0].field).toBe('operator');
    const other = await t.http
      .post('/api/alarms/rules')
      .send({ clientId: a.clientId, deviceId: b.deviceId, name: 'x', metric: 'voltage', operator: '>', threshold: 1 })
      .expect(400);
    expect(other.body.errors[0].field).toBe('deviceId');
    await t.http.delete(`/api/alarms/rules/${ruleId}`).expect(204);
    await t.http.delete(`/api/alarms/rules/${ruleId}`).expect(404);
  });
});
