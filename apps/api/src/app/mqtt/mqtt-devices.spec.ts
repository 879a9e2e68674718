import { startTestApp, TestApp } from '../../testing/test-app';

/** Devices of type mqtt: their config, their topics across the platform and a client's topic prefix (MQTT itself off: no MQTT_URL). */
describe('mqtt devices', () => {
  let t: TestApp;
  const newClient = async (name: string) => (await t.http.post('/api/clients').send({ name }).expect(201)).body.id as number;
  const create = (clientId: number, config: Record<string, unknown>, name = 'Plug') =>
    t.http.post('/api/devices').send({ clientId, name, deviceType: 'mqtt', config });

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t?.close());

  it('creates an mqtt device and shows its MQTT fields', async () => {
    const clientId = await newClient('Plugs Inc');
    const device = (await create(clientId, { format: 'tasmota', topic: 'plug_kitchen' }).expect(201)).body;
    expect(device).toMatchObject({
      deviceType: 'mqtt',
      config: { format: 'tasmota', topic: 'plug_kitchen' },
      status: 'unknown',
      mqttRejected: 0,
      lastRejectedPayload: null,
      lastRejectedReason: null,
      mqttLastMessageAt: null,
    });
    // Other device types do not carry the MQTT fields.
    const api = (await t.http.post('/api/devices').send({ clientId, name: 'Pusher', deviceType: 'api' }).expect(201)).body;
    expect(api).not.toHaveProperty('mqttRejected');
    // Nothing to poll: the meter publishes.
    expect((await t.http.post(`/api/devices/${device.id}/poll`).expect(422)).body.message).toBe(
      'this device publishes its readings to the MQTT broker; nothing to poll',
    );
  });

  it('answers 400 naming the field: unknown format, wildcard topic, mapping path that cannot parse', async () => {
    const clientId = await newClient('Bad configs');
    expect((await create(clientId, { format: 'homie', topic: 'x' }).expect(400)).body.message).toContain(
      'config.format must be one of tasmota, shelly-gen1, shelly-gen2, zigbee2mqtt, json',
    );
    expect((await create(clientId, { format: 'tasmota', topic: 'plugs/#' }).expect(400)).body.message).toContain(
      'config.topic must not contain the wildcards + or #',
    );
    expect((await create(clientId, { format: 'json', topic: 'meters/+/state', mapping: [{ metric: 'power', path: 'p' }] }).expect(400)).body.message).toContain(
      'config.topic',
    );
    const badPath = await create(clientId, { format: 'json', topic: 'meters/one', mapping: [{ metric: 'power', path: 'a.b[x]' }] }).expect(400);
    expect(badPath.body.message).toContain('config.mapping[0].path is not a path');
  });

  it('gives a topic to one device across the platform (409), even under another client or one level below', async () => {
    const a = await newClient('Tenant A');
    const b = await newClient('Tenant B');
    const first = (await create(a, { format: 'zigbee2mqtt', topic: 'office plug' }).expect(201)).body;
    const again = await create(b, { format: 'zigbee2mqtt', topic: 'office plug' }).expect(409);
    expect(again.body.message).toBe(`MQTT topic zigbee2mqtt/office plug is already read by device ${first.id}: a topic belongs to one device`);
    // A json device on one of the plug's own topics would steal its messages.
    await create(b, { format: 'json', topic: 'zigbee2mqtt/office plug/availability', mapping: [{ metric: 'power', path: 'p' }] }).expect(409);
    // Editing a device to the topic it already has is no conflict; another name is free.
    await t.http
      .patch(`/api/devices/${first.id}`)
      .send({ name: 'Office plug', config: { format: 'zigbee2mqtt', topic: 'office plug', energyScale: 10 } })
      .expect(200);
    await create(b, { format: 'zigbee2mqtt', topic: 'office plug 2' }).expect(201);
    // Once deleted, its topic is free again.
    await t.http.delete(`/api/devices/${first.id}`).expect(204);
    await create(b, { format: 'zigbee2mqtt', topic: 'office plug' }).expect(201);
  });

  it("holds a client's mqtt devices under the topic prefix staff set on it (400 naming config.topic); only staff set it", async () => {
    const clientId = await newClient('Acme');
    const patched = await t.http.patch(`/api/clients/${clientId}`).send({ mqttTopicPrefix: 'acme' }).expect(200);
    expect(patched.body.mqttTopicPrefix).toBe('acme');
    const outside = await create(clientId, { format: 'shelly-gen2', topic: 'other/pro3em' }).expect(400);
    expect(outside.body.message).toBe('config.topic must lie under this client\'s MQTT topic prefix "acme" (for example acme/plug1)');
    await create(clientId, { format: 'shelly-gen2', topic: 'acme/pro3em' }).expect(201);
    await t.http.patch(`/api/clients/${clientId}`).send({ mqttTopicPrefix: 'acme/#' }).expect(400);

    // A client's own admin may not widen (or lift) the prefix.
    const clientAdmin = await t.userAgent('admin', clientId);
    await clientAdmin.patch(`/api/clients/${clientId}`).send({ mqttTopicPrefix: null }).expect(403);
    // The client's user creating a device is held to it too.
    await clientAdmin
      .post('/api/devices')
      .send({ clientId, name: 'Sneaky', deviceType: 'mqtt', config: { format: 'tasmota', topic: 'neighbour_plug' } })
      .expect(400);
    await t.http.patch(`/api/clients/${clientId}`).send({ mqttTopicPrefix: null }).expect(200);
    await clientAdmin
      .post('/api/devices')
      .send({ clientId, name: 'Free', deviceType: 'mqtt', config: { format: 'tasmota', topic: 'neighbour_plug' } })
      .expect(201);
  });
});
