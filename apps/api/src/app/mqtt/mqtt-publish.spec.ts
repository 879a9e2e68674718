import type { MqttClient } from 'mqtt';
import { startTestBroker, TestBroker } from '../../testing/mqtt-broker';
import { startTestApp, TestApp } from '../../testing/test-app';
import { waitFor } from '../../testing/wait';

interface Received {
  topic: string;
  payload: Record<string, unknown>;
  retain: boolean;
}

/** MQTT_PUBLISH=true: stored readings published to the broker, with Home Assistant discovery configs, as a subscriber (Home Assistant) sees them. */
describe('MQTT publish', () => {
  let broker: TestBroker;
  let t: TestApp;
  let homeAssistant: MqttClient;
  const received: Received[] = [];

  beforeAll(async () => {
    broker = await startTestBroker();
    t = await startTestApp({
      MQTT_URL: broker.url,
      MQTT_PROTOCOL_VERSION: '4',
      MQTT_CLIENT_ID: `pieng-publish-${process.pid}`,
      MQTT_PUBLISH: 'true',
      RETENTION_RAW_DAYS: '36500',
      RETENTION_1M_DAYS: '36500',
    });
    homeAssistant = await broker.publisher();
    homeAssistant.on('message', (topic, payload, packet) => received.push({ topic, payload: JSON.parse(payload.toString()), retain: packet.retain }));
    await homeAssistant.subscribeAsync(['pieng/#', 'homeassistant/#'], { qos: 1 });
    await waitFor('connected to the broker', async () => (await t.http.get('/api/health').expect(200)).body.mqtt.status === 'connected');
  });
  afterAll(async () => {
    await t?.close();
    await broker?.close();
  });

  it('publishes each stored reading as state under the client externalId and device uid, with retained Home Assistant configs', async () => {
    const clientId = (await t.http.post('/api/clients').send({ name: 'Acme', externalId: 'ACME' }).expect(201)).body.id;
    const device = (await t.http.post('/api/devices').send({ clientId, name: 'Main meter', deviceType: 'api' }).expect(201)).body;
    await t.http
      .post('/api/ingest')
      .send({ readings: [{ deviceId: device.id, timestamp: '2026-01-01T00:00:00Z', metrics: { energy: 1500, power: 230 } }] })
      .expect(200);

    const state = await waitFor('the state published', async () => received.find((m) => m.topic === `pieng/ACME/${device.uid}/state`));
    expect(state).toEqual({ topic: `pieng/ACME/${device.uid}/state`, payload: { ts: '2026-01-01T00:00:00.000Z', energy: 1500, power: 230 }, retain: false });
    // The broker keeps the configs (retained): a subscriber that comes later still gets them.
    const late = await broker.publisher();
    const configs: Received[] = [];
    late.on('message', (topic, payload, packet) => configs.push({ topic, payload: JSON.parse(payload.toString()), retain: packet.retain }));
    await late.subscribeAsync(['homeassistant/sensor/+/config'], { qos: 1 });
    await waitFor('both configs', async () => configs.filter((c) => c.topic.includes(device.uid)).length === 2);
    const energy = configs.find((c) => c.topic === `homeassistant/sensor/pieng_${device.uid}_energy/config`);
    expect(energy?.retain).toBe(true);
    expect(energy?.payload).toMatchObject({
      unique_id: `pieng_${device.uid}_energy`,
      state_topic: `pieng/ACME/${device.uid}/state`,
      value_template: '{{ value_json.energy }}',
      device_class: 'energy',
      unit_of_measurement: 'Wh',
      state_class: 'total_increasing',
      device: { identifiers: [`pieng_${device.uid}`], name: 'Main meter' },
    });
    expect(configs.find((c) => c.topic.endsWith('_power/config'))?.payload).toMatchObject({
      device_class: 'power',
      unit_of_measurement: 'W',
      state_class: 'measurement',
    });
  });

  it('does not publish back readings that came in over MQTT', async () => {
    const clientId = (await t.http.post('/api/clients').send({ name: 'Beta' }).expect(201)).body.id;
    const plug = (
      await t.http
        .post('/api/devices')
        .send({ clientId, name: 'Plug', deviceType: 'mqtt', config: { format: 'zigbee2mqtt', topic: 'beta plug' } })
        .expect(201)
    ).body;
    const meter = (await t.http.post('/api/devices').send({ clientId, name: 'Meter', deviceType: 'api' }).expect(201)).body;
    await waitFor('subscribed', async () => (await t.http.get('/api/health').expect(200)).body.mqtt.devices === 1);
    await homeAssistant.publishAsync('zigbee2mqtt/beta plug', '{"power":5}', { qos: 1 });
    await waitFor('the plug reading stored', async () => (await t.http.get(`/api/devices/${plug.id}`).expect(200)).body.lastSeenAt !== null);
    await t.http
      .post('/api/ingest')
      .send({ readings: [{ deviceId: meter.id, timestamp: '2026-01-01T00:00:00Z', metrics: { power: 7 } }] })
      .expect(200);
    // Published in the order stored: once the later reading is out, the plug's would have been too. No client externalId: its id.
    await waitFor('the meter state published', async () => received.some((m) => m.topic === `pieng/${clientId}/${meter.uid}/state`));
    expect(received.filter((m) => m.topic.includes(plug.uid))).toEqual([]);
  });
});
