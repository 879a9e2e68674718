import { MQTT_ANNOUNCEMENT_FILTERS } from '@pieng/connectors';
import type { MqttClient } from 'mqtt';
import { startTestBroker, TestBroker } from '../../testing/mqtt-broker';
import { createPgDatabase, startTestApp, TestApp } from '../../testing/test-app';
import { waitFor } from '../../testing/wait';

/**
 * Two instances on one PostgreSQL database: only the holder of the `mqtt` lease connects to the
 * broker; when it stops, the other takes the lease, and the session (with what was published
 * meanwhile) moves with it.
 */
describe('MQTT across instances (mqtt lease)', () => {
  let broker: TestBroker;
  let one: TestApp;
  let two: TestApp;
  let drop: () => Promise<void>;
  let meter: MqttClient;
  const env = (url: string) => ({
    DATABASE_URL: url,
    MQTT_URL: broker.url,
    MQTT_PROTOCOL_VERSION: '4',
    MQTT_CLIENT_ID: `pieng-lease-${process.pid}`,
    LEASE_TTL_SEC: '2',
  });
  const mqttHealth = async (t: TestApp) => (await t.http.get('/api/health').expect(200)).body.mqtt;

  beforeAll(async () => {
    broker = await startTestBroker();
    const pg = await createPgDatabase();
    drop = pg.drop;
    one = await startTestApp(env(pg.url));
    await waitFor('one connected', async () => (await mqttHealth(one)).status === 'connected');
    two = await startTestApp(env(pg.url));
    meter = await broker.publisher();
  }, 60_000);
  afterAll(async () => {
    await two?.close();
    await one?.close();
    await broker?.close();
    await drop?.();
  }, 30_000);

  it('connects from the lease holder only, and from the other once the holder stops', async () => {
    const clientId = (await one.http.post('/api/clients').send({ name: 'Shared plant' }).expect(201)).body.id;
    const id = (
      await one.http
        .post('/api/devices')
        .send({ clientId, name: 'Plug', deviceType: 'mqtt', config: { format: 'zigbee2mqtt', topic: 'shared plug' } })
        .expect(201)
    ).body.id;
    // Its two topics (the state and availability) beside the announcement filters.
    await waitFor('one subscribed', async () => (await mqttHealth(one)).subscriptions === MQTT_ANNOUNCEMENT_FILTERS.length + 2);
    // Two waits on standby, never connecting (it would take the session from one).
    await waitFor('two on standby', async () => (await mqttHealth(two)).status === 'standby');

    await meter.publishAsync('zigbee2mqtt/shared plug', '{"power":1}', { qos: 1 });
    const stored = async () => (await two.http.get('/api/metrics').query({ deviceId: id }).expect(200)).body.items.length as number;
    await waitFor('stored by one', async () => (await stored()) === 1);

    await one.app.close();
    // Published between one's stop and two's connect: kept in the session, delivered to two.
    await meter.publishAsync('zigbee2mqtt/shared plug', '{"power":2}', { qos: 1 });
    await waitFor('two took over', async () => (await mqttHealth(two)).status === 'connected');
    await waitFor('stored by two', async () => (await stored()) === 2);
  }, 60_000);
});
