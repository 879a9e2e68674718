import { MQTT_ANNOUNCEMENT_FILTERS } from '@pieng/connectors';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect as connectTcp } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectAsync, type MqttClient } from 'mqtt';
import { apiCall, ApiProcess, requireBuiltApi, startApiProcess, stopApiProcess } from '../../testing/api-process';
import { createPgDatabase, TEST_SECRETS_KEY, usesPostgres } from '../../testing/test-app';
import { waitFor } from '../../testing/wait';

/**
 * The built server as a real process against the real Mosquitto on 127.0.0.1:1883 (this project's
 * machines and CI run it; `.ci/run` starts it when it is down). Never skipped: without Mosquitto
 * the suite fails saying how to install it.
 */
jest.setTimeout(120_000);

const BROKER = 'mqtt://127.0.0.1:1883';
const ADMIN = { email: 'admin@mqtt.test', password: 'mqtt-password-123' };
/** One per run: the broker keeps the persistent session of every client id it has seen. */
const RUN = `${process.pid}-${Date.now().toString(36)}`;
const CLIENT_ID = `pieng-system-${RUN}`;

interface Item {
  metric: string;
  ts: string;
  value: number;
  source: string;
}

function brokerReachable(): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connectTcp(1883, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

describe('MQTT meters against Mosquitto', () => {
  let api: ApiProcess;
  let dataDir: string;
  let dropDb: (() => Promise<void>) | undefined;
  let meter: MqttClient;
  let clientId: number;
  const tasmotaTopic = `sys_${RUN}`.replace(/-/g, '_');
  const zigbeeName = `sys plug ${RUN}`;

  const health = () => apiCall<{ mqtt: { status: string; devices: number; subscriptions: number; lastError: string | null } }>(api, 'GET', '/api/health');
  const device = (id: number) => apiCall<{ status: string; lastSeenAt: string | null; mqttLastMessageAt: string | null }>(api, 'GET', `/api/devices/${id}`);
  const values = async (deviceId: number) =>
    (await apiCall<{ items: Item[] }>(api, 'GET', `/api/metrics?deviceId=${deviceId}&from=2020-01-01T00:00:00Z&to=2030-01-01T00:00:00Z&limit=1000`)).items;
  const start = async () => {
    api = await startApiProcess({
      name: 'mqtt-system',
      dataDir,
      admin: ADMIN,
      env: { MQTT_URL: BROKER, MQTT_CLIENT_ID: CLIENT_ID, RETENTION_RAW_DAYS: '36500', RETENTION_1M_DAYS: '36500', ...(api?.env ?? {}) },
      ...(api && { port: api.port }),
    });
  };
  const subscribed = (devices: number) =>
    waitFor(`subscribed for ${devices} devices`, async () => {
      const h = (await health()).mqtt;
      // Each device here has two topics, beside the announcement filters subscribed from the start.
      return h.status === 'connected' && h.devices === devices && h.subscriptions >= MQTT_ANNOUNCEMENT_FILTERS.length + 2 * devices;
    });
  const tasmota = (time: string, total: number, power: number) => JSON.stringify({ Time: time, ENERGY: { Total: total, Power: power, Voltage: 230 } });

  beforeAll(async () => {
    if (!(await brokerReachable())) throw new Error('Mosquitto is not reachable at 127.0.0.1:1883: apt-get install mosquitto (then mosquitto -d)');
    requireBuiltApi();
    dataDir = mkdtempSync(join(tmpdir(), 'pieng-mqtt-'));
    const pg = usesPostgres() ? await createPgDatabase() : undefined;
    dropDb = pg?.drop;
    api = await startApiProcess({
      name: 'mqtt-system',
      dataDir,
      admin: ADMIN,
      env: {
        MQTT_URL: BROKER,
        MQTT_CLIENT_ID: CLIENT_ID,
        MQTT_PUBLISH: 'true',
        RETENTION_RAW_DAYS: '36500',
        RETENTION_1M_DAYS: '36500',
        ...(pg && { DATABASE_URL: pg.url, SECRETS_KEY: TEST_SECRETS_KEY }),
      },
    });
    meter = await connectAsync(BROKER, { clientId: `meter-${RUN}`, reconnectPeriod: 1000 });
    clientId = (await apiCall<{ id: number }>(api, 'POST', '/api/clients', { name: 'System plant', timezone: 'UTC' })).id;
  });
  afterAll(async () => {
    if (api) await stopApiProcess(api, 'SIGTERM');
    // Leaves the broker as it was: the retained LWT cleared, the persistent session dropped.
    if (meter) {
      await meter.publishAsync(`tele/${tasmotaTopic}/LWT`, '', { qos: 1, retain: true });
      await meter.endAsync();
    }
    const cleaner = await connectAsync(BROKER, { clientId: CLIENT_ID, clean: true, reconnectPeriod: 0 }).catch(() => undefined);
    await cleaner?.endAsync();
    await dropDb?.();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('stores what was published at QoS 1 while the server was stopped, once it starts', async () => {
    const plug = (
      await apiCall<{ id: number }>(api, 'POST', '/api/devices', {
        clientId,
        name: 'Tasmota',
        deviceType: 'mqtt',
        config: { format: 'tasmota', topic: tasmotaTopic },
      })
    ).id;
    await subscribed(1);
    await stopApiProcess(api, 'SIGKILL');
    // Client time zone UTC: Time is UTC.
    for (let i = 0; i < 5; i++) await meter.publishAsync(`tele/${tasmotaTopic}/SENSOR`, tasmota(`2024-03-01T10:0${i}:00`, 1 + i / 100, 100 + i), { qos: 1 });
    await start();
    const items = await waitFor('the five queued readings stored', async () => {
      const all = await values(plug);
      return all.length === 15 ? all : undefined;
    });
    expect(items.filter((i) => i.metric === 'energy').map((i) => [i.ts, i.value])).toEqual([
      // Total 1.00, 1.01, ... kWh × 1000
      ['2024-03-01T10:00:00.000Z', 1000],
      ['2024-03-01T10:01:00.000Z', 1010],
      ['2024-03-01T10:02:00.000Z', 1020],
      ['2024-03-01T10:03:00.000Z', 1030],
      ['2024-03-01T10:04:00.000Z', 1040],
    ]);
    expect(items.every((i) => i.source === 'mqtt')).toBe(true);
  });

  it('stores duplicates once after a forced reconnect (the session taken over, its messages redelivered)', async () => {
    const plug = (
      await apiCall<{ id: number }>(api, 'POST', '/api/devices', {
        clientId,
        name: 'Zigbee',
        deviceType: 'mqtt',
        config: { format: 'zigbee2mqtt', topic: zigbeeName },
      })
    ).id;
    await subscribed(2);
    const tasmotaId = (await apiCall<Array<{ id: number; name: string }>>(api, 'GET', `/api/devices?clientId=${clientId}`)).find((d) => d.name === 'Tasmota')
      ?.id as number;
    await meter.publishAsync(`zigbee2mqtt/${zigbeeName}`, '{"power":21}', { qos: 1 });
    await waitFor('the first Zigbee message stored', async () => (await values(plug)).length === 1);

    // Another connection under the server's client id takes the session over (the broker drops the server's)
    // and never acknowledges: what is published now is redelivered to the server when it reconnects.
    const thief = await connectAsync(BROKER, { clientId: CLIENT_ID, clean: false, reconnectPeriod: 0 });
    thief.handleMessage = () => undefined;
    await meter.publishAsync(`zigbee2mqtt/${zigbeeName}`, '{"power":21}', { qos: 1 });
    await meter.publishAsync(`tele/${tasmotaTopic}/SENSOR`, tasmota('2024-03-01T10:04:00', 1.04, 104), { qos: 1 });
    await meter.publishAsync(`tele/${tasmotaTopic}/SENSOR`, tasmota('2024-03-01T10:05:00', 1.05, 105), { qos: 1 });
    await meter.publishAsync(`zigbee2mqtt/${zigbeeName}`, '{"power":22}', { qos: 1 });
    thief.end(true);
    await waitFor('the last messages stored after the reconnect', async () => (await values(plug)).length === 2 && (await values(tasmotaId)).length === 18);
    // The repeated Zigbee payload within 10 s and the repeated Tasmota reading (same Time) were each stored once.
    expect((await values(plug)).map((i) => i.value)).toEqual([21, 22]);
    expect((await values(tasmotaId)).filter((i) => i.metric === 'energy').map((i) => i.value)).toEqual([1000, 1010, 1020, 1030, 1040, 1050]);
  });

  it('shows the device offline on Tasmota LWT Offline', async () => {
    const tasmotaId = (await apiCall<Array<{ id: number; name: string }>>(api, 'GET', `/api/devices?clientId=${clientId}`)).find((d) => d.name === 'Tasmota')
      ?.id as number;
    await meter.publishAsync(`tele/${tasmotaTopic}/SENSOR`, tasmota(new Date().toISOString().slice(0, 19), 1.06, 106), { qos: 1 });
    await waitFor('online after a reading of now', async () => (await device(tasmotaId)).status === 'online');
    await meter.publishAsync(`tele/${tasmotaTopic}/LWT`, 'Offline', { qos: 1, retain: true });
    await waitFor('offline after LWT Offline', async () => (await device(tasmotaId)).status === 'offline');
  });
  it('loses nothing and doubles nothing when killed (SIGKILL) while storing a burst in batches', async () => {
    const topic = `burst_${RUN}`.replace(/-/g, '_');
    const before = (await health()).mqtt.subscriptions;
    const plug = (
      await apiCall<{ id: number }>(api, 'POST', '/api/devices', { clientId, name: 'Burst', deviceType: 'mqtt', config: { format: 'tasmota', topic } })
    ).id;
    // Its two topics (SENSOR, LWT) subscribed.
    await waitFor('subscribed to the burst topics', async () => (await health()).mqtt.subscriptions === before + 2);
    const count = async () =>
      (await apiCall<{ count: number }>(api, 'GET', `/api/metrics/summary?deviceId=${plug}&metric=power&from=2024-04-01T00:00:00Z&to=2024-04-02T00:00:00Z`))
        .count;
    // 1,000 readings one second apart from 2024-04-01T00:00:00 (UTC client), 3 values each.
    const time = (i: number) => new Date(Date.UTC(2024, 3, 1) + i * 1000).toISOString().slice(0, 19);
    const published = Promise.all(
      Array.from({ length: 1000 }, (_, i) => meter.publishAsync(`tele/${topic}/SENSOR`, tasmota(time(i), 2 + i / 1000, i), { qos: 1 })),
    );
    await waitFor('some stored', async () => (await count()) > 0, 20_000, 20);
    await stopApiProcess(api, 'SIGKILL');
    await published;
    await start();
    await waitFor('all 1,000 stored', async () => (await count()) === 1000, 60_000);
    // Each value once: 1,000 readings × 3 metrics.
    const all = await apiCall<{ count: number }>(
      api,
      'GET',
      `/api/metrics/summary?deviceId=${plug}&metric=voltage&from=2024-04-01T00:00:00Z&to=2024-04-02T00:00:00Z`,
    );
    expect(all.count).toBe(1000);
    await waitFor(
      'nothing left unacknowledged',
      async () => (await apiCall<{ mqtt: { unacknowledged: number } }>(api, 'GET', '/api/health')).mqtt.unacknowledged === 0,
    );
  });

  it('lists a meter announced on the broker, and publishes stored readings with their Home Assistant configs (MQTT_PUBLISH)', async () => {
    const shellyId = `shellyplug-s-${RUN}`;
    await meter.publishAsync(
      'shellies/announce',
      JSON.stringify({ id: shellyId, model: 'SHPLG-S', mac: 'A4CF127AD2AB', ip: '192.168.1.30', new_fw: false, fw_ver: '20230913-112003/v1.14.0-gcb84623' }),
      { qos: 1 },
    );
    const found = await waitFor('the Shelly announced', async () =>
      (await apiCall<Array<{ format: string; topic: string; model: string | null }>>(api, 'GET', '/api/mqtt/discovered')).find((d) => d.topic === shellyId),
    );
    expect(found).toMatchObject({ format: 'shelly-gen1', model: 'SHPLG-S' });

    const homeAssistant = await connectAsync(BROKER, { clientId: `ha-${RUN}`, reconnectPeriod: 0 });
    try {
      const seen: Array<{ topic: string; payload: string; retain: boolean }> = [];
      homeAssistant.on('message', (topic, payload, packet) => seen.push({ topic, payload: payload.toString(), retain: packet.retain }));
      await homeAssistant.subscribeAsync(['pieng/#', 'homeassistant/sensor/#'], { qos: 1 });
      const meterDevice = await apiCall<{ id: number; uid: string }>(api, 'POST', '/api/devices', { clientId, name: 'Main meter', deviceType: 'api' });
      await apiCall(api, 'POST', '/api/ingest', { readings: [{ deviceId: meterDevice.id, timestamp: '2024-05-01T00:00:00Z', metrics: { energy: 1234 } }] });
      const state = await waitFor('the state', async () => seen.find((m) => m.topic === `pieng/${clientId}/${meterDevice.uid}/state`));
      expect(JSON.parse(state.payload)).toEqual({ ts: '2024-05-01T00:00:00.000Z', energy: 1234 });
      const config = await waitFor('the discovery config', async () =>
        seen.find((m) => m.topic === `homeassistant/sensor/pieng_${meterDevice.uid}_energy/config`),
      );
      expect(JSON.parse(config.payload)).toMatchObject({ device_class: 'energy', unit_of_measurement: 'Wh', state_class: 'total_increasing' });
      // Leaves the broker as it was: the retained config cleared.
      await meter.publishAsync(config.topic, '', { qos: 1, retain: true });
    } finally {
      await homeAssistant.endAsync();
    }
  });
});
