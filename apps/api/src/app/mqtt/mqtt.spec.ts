import type { MqttClient } from 'mqtt';
import { startTestBroker, TestBroker } from '../../testing/mqtt-broker';
import { startTestApp, TestApp } from '../../testing/test-app';
import { waitFor } from '../../testing/wait';
import { IngestService } from '../ingest/ingest.service';
import { MqttService } from './mqtt.service';

interface Item {
  metric: string;
  ts: string;
  value: number;
  source: string;
}

/** The real app over HTTP, subscribed to an in-process broker (aedes) that a real MQTT client publishes to as the meters would. */
describe('MQTT meters', () => {
  let broker: TestBroker;
  let t: TestApp;
  let meter: MqttClient;
  let clientId: number;

  const health = async () => (await t.http.get('/api/health').expect(200)).body;
  const device = async (id: number) => (await t.http.get(`/api/devices/${id}`).expect(200)).body;
  const values = async (deviceId: number): Promise<Item[]> =>
    (await t.http.get('/api/metrics').query({ deviceId, from: '2020-01-01T00:00:00Z', to: '2030-01-01T00:00:00Z', limit: 1000 }).expect(200)).body.items;
  /** Creates the device and waits until the server has subscribed to its topics. */
  const addDevice = async (name: string, config: Record<string, unknown>): Promise<number> => {
    const before = (await health()).mqtt;
    const id = (await t.http.post('/api/devices').send({ clientId, name, deviceType: 'mqtt', config }).expect(201)).body.id as number;
    // Its topics subscribed: more than before (the announcement filters are there from the start).
    await waitFor(`subscribed for ${name}`, async () => {
      const h = (await health()).mqtt;
      return h.devices === before.devices + 1 && h.subscriptions > before.subscriptions && h.status === 'connected';
    });
    return id;
  };
  const publish = (topic: string, payload: string, retain = false) => meter.publishAsync(topic, payload, { qos: 1, retain });

  beforeAll(async () => {
    broker = await startTestBroker();
    t = await startTestApp({
      MQTT_URL: broker.url,
      MQTT_PROTOCOL_VERSION: '4',
      MQTT_CLIENT_ID: `pieng-spec-${process.pid}`,
      RETENTION_RAW_DAYS: '36500',
      RETENTION_1M_DAYS: '36500',
    });
    meter = await broker.publisher();
    clientId = (await t.http.post('/api/clients').send({ name: 'Plant SP', timezone: 'America/Sao_Paulo' }).expect(201)).body.id;
    await waitFor('connected to the broker', async () => (await health()).mqtt.status === 'connected');
  });
  afterAll(async () => {
    await t?.close();
    await broker?.close();
  });

  it('stores a Tasmota SENSOR reading through the ingest path with source mqtt, at its Time read in the client zone', async () => {
    const id = await addDevice('Kitchen plug', { format: 'tasmota', topic: 'kitchen' });
    await publish(
      'tele/kitchen/SENSOR',
      '{"Time":"2022-01-11T21:57:38","ENERGY":{"TotalStartTime":"2021-12-23T19:22:14","Total":3.705,"Yesterday":0.028,"Today":0.026,"Period":1,"Power":5,"ApparentPower":5,"ReactivePower":0,"Factor":1.00,"Voltage":233,"Current":0.021}}',
    );
    const items = await waitFor('the reading stored', async () => ((await values(id)).length === 7 ? values(id) : undefined));
    // 21:57:38 in São Paulo (UTC-3) is 00:57:38 UTC the next day; Total 3.705 kWh × 1000 = 3,705 Wh.
    expect(items.every((i) => i.ts === '2022-01-12T00:57:38.000Z' && i.source === 'mqtt')).toBe(true);
    expect(Object.fromEntries(items.map((i) => [i.metric, i.value]))).toEqual({
      energy: 3705,
      power: 5,
      apparentPower: 5,
      reactivePower: 0,
      powerFactor: 1,
      voltage: 233,
      current: 0.021,
    });
    expect((await device(id)).lastSeenAt).toBe('2022-01-12T00:57:38.000Z');
  });

  it('counts a bad payload against the device and shows the last one and why, storing nothing', async () => {
    const id = await addDevice('Sensor plug', { format: 'tasmota', topic: 'sensorplug' });
    const bad = '{"Time":"2022-01-11T21:57:38","AM2301":{"Temperature":21.3,"Humidity":40.1}}';
    await publish('tele/sensorplug/SENSOR', bad);
    await publish('tele/sensorplug/SENSOR', 'not json');
    const shown = await waitFor('the rejections counted', async () => {
      const d = await device(id);
      return d.mqttRejected === 2 ? d : undefined;
    });
    expect(shown).toMatchObject({ lastRejectedPayload: 'not json', lastRejectedReason: 'payload is not JSON' });
    expect(shown.mqttLastMessageAt).not.toBeNull();
    expect(await values(id)).toEqual([]);
    // A number past what a double holds once scaled (1e308 kWh × 1000) is refused too, not retried.
    await publish('tele/sensorplug/SENSOR', '{"ENERGY":{"Total":1e308}}');
    await waitFor('the overflow counted', async () => (await device(id)).mqttRejected === 3);
    expect((await device(id)).lastRejectedReason).toBe('energy = Infinity cannot be stored (a finite number under a metric name is needed)');
  });

  it('sets the device status from Tasmota LWT Offline/Online', async () => {
    const id = await addDevice('Garage plug', { format: 'tasmota', topic: 'garage' });
    // A reading of now (São Paulo wall time, UTC-3 with no daylight saving) makes the device online.
    const local = new Date(Date.now() - 3 * 3600_000).toISOString().slice(0, 19);
    await publish('tele/garage/SENSOR', JSON.stringify({ Time: local, ENERGY: { Total: 1.5, Power: 100 } }));
    await waitFor('online after a reading', async () => (await device(id)).status === 'online');
    // Tasmota publishes its LWT retained.
    await publish('tele/garage/LWT', 'Offline', true);
    await waitFor('offline after LWT Offline', async () => (await device(id)).status === 'offline');
    await publish('tele/garage/LWT', 'Online', true);
    await waitFor('online after LWT Online', async () => (await device(id)).status === 'online');
  });

  it('stores a message without its own time at the receive time, and the same topic and payload within 10 s once', async () => {
    const id = await addDevice('Zigbee plug', { format: 'zigbee2mqtt', topic: 'office plug', energyScale: 10 });
    const state = '{"current":0.04,"energy":1.52,"linkquality":120,"power":5,"state":"ON","voltage":230}';
    const before = Date.now();
    await publish('zigbee2mqtt/office plug', state);
    await publish('zigbee2mqtt/office plug', state);
    await publish('zigbee2mqtt/office plug', state.replace('"power":5', '"power":6'));
    const items = await waitFor('the second distinct message stored', async () => {
      const all = await values(id);
      return all.some((i) => i.metric === 'power' && i.value === 6) ? all : undefined;
    });
    // Two messages stored (the repeat was a redelivery), four metrics each.
    expect(items.filter((i) => i.metric === 'power').map((i) => i.value)).toEqual([5, 6]);
    // 1.52 kWh × 1000 × energyScale 10 = 15,200 Wh
    expect(items.find((i) => i.metric === 'energy')?.value).toBe(15200);
    expect(items.every((i) => Date.parse(i.ts) >= before - 1000 && Date.parse(i.ts) <= Date.now())).toBe(true);
  });

  it('takes a retained message as a reading only when it carries its own time newer than the last stored', async () => {
    // Retained before the device exists: they come on subscribing.
    await publish('zigbee2mqtt/hall plug', '{"power":40,"energy":2}', true);
    await publish('tele/hall/SENSOR', '{"Time":"2023-06-01T12:00:00","ENERGY":{"Total":10,"Power":40}}', true);
    const zigbee = await addDevice('Hall zigbee', { format: 'zigbee2mqtt', topic: 'hall plug' });
    const tasmota = await addDevice('Hall tasmota', { format: 'tasmota', topic: 'hall' });
    // The Tasmota message has its own time and the device nothing stored: a reading (12:00 São Paulo = 15:00 UTC).
    await waitFor('the retained Tasmota reading stored', async () => (await values(tasmota)).length === 2);
    expect((await values(tasmota)).map((i) => i.ts)).toEqual(['2023-06-01T15:00:00.000Z', '2023-06-01T15:00:00.000Z']);
    // The Zigbee one has no time: the device is seen, nothing stored.
    await waitFor('the retained Zigbee message seen', async () => (await device(zigbee)).mqttLastMessageAt !== null);
    expect(await values(zigbee)).toEqual([]);

    // A newer Tasmota reading, then the old retained one again (a forced reconnect re-subscribes): not stored again.
    await publish('tele/hall/SENSOR', '{"Time":"2023-06-01T12:05:00","ENERGY":{"Total":10.01,"Power":41}}');
    await waitFor('the newer reading stored', async () => (await values(tasmota)).length === 4);
    const lastMessage = (await device(zigbee)).mqttLastMessageAt;
    await t.app.get(MqttService).reconnect();
    await waitFor('the retained Zigbee message seen again after the reconnect', async () => (await device(zigbee)).mqttLastMessageAt !== lastMessage);
    expect(await values(tasmota)).toHaveLength(4);
    expect(await values(zigbee)).toEqual([]);
  });

  it('stores the messages that came while a batch was being stored in one transaction, acknowledging none before its commit', async () => {
    const id = await addDevice('Batch plug', { format: 'tasmota', topic: 'batchplug' });
    const ingest = t.app.get(IngestService);
    const original = ingest.ingest.bind(ingest);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const calls: number[] = [];
    const spy = jest.spyOn(ingest, 'ingest').mockImplementation(async (batch, scope, source) => {
      if (batch.some((r) => r.deviceId === id)) {
        calls.push(batch.length);
        // The first batch of this device waits until the test has published the rest.
        if (calls.length === 1) await gate;
      }
      return original(batch, scope, source);
    });
    try {
      // 00:00:00 to 00:00:50 São Paulo time: 51 readings, Power = the second.
      const sensor = (second: number) => JSON.stringify({ Time: `2024-03-01T00:00:${String(second).padStart(2, '0')}`, ENERGY: { Total: 1, Power: second } });
      await publish('tele/batchplug/SENSOR', sensor(0));
      await waitFor('the first message being stored', async () => calls.length === 1);
      for (let second = 1; second <= 50; second++) await publish('tele/batchplug/SENSOR', sensor(second));
      // The same message again (its own time): one more to acknowledge, stored once.
      await publish('tele/batchplug/SENSOR', sensor(7));
      // 1 being stored + 51 queued, none acknowledged.
      await waitFor('52 messages unacknowledged', async () => (await health()).mqtt.unacknowledged === 52);
      expect(await values(id)).toEqual([]);

      // The broker restarts meanwhile: as none was acknowledged, it sends all 52 again on the new connection.
      await broker.stop();
      await broker.start();
      await waitFor('the 52 sent again', async () => (await health()).mqtt.unacknowledged === 104, 60_000);
      release();
      // 51 distinct times × 2 metrics (energy, power) = 102 values, whatever came twice stored once.
      await waitFor('all stored', async () => (await values(id)).length === 102);
      await waitFor('all acknowledged', async () => (await health()).mqtt.unacknowledged === 0);
      // The first batch (1 message), then in one transaction the 51 queued behind it and the 52 sent again (duplicates): 51 + 52 = 103.
      expect(calls).toEqual([1, 103]);
      expect((await values(id)).filter((i) => i.metric === 'power').map((i) => i.value)).toEqual(Array.from({ length: 51 }, (_, k) => k));
      meter = await broker.publisher();
    } finally {
      release();
      spy.mockRestore();
    }
  }, 90_000);

  it('lists the meters announced on the broker to platform staff, with the device that reads one', async () => {
    // As the firmwares publish them: Tasmota's discovery config (retained), Shelly Gen1 announce, Shelly Gen2 online, Zigbee2MQTT's device list (retained).
    await publish(
      'tasmota/discovery/A4CF12C2E9A6/config',
      '{"ip":"192.168.1.42","dn":"Boiler","fn":["Boiler"],"hn":"tasmota-C2E9A6-2470","mac":"A4CF12C2E9A6","md":"Sonoff Pow R2","ty":0,"ofln":"Offline","onln":"Online","sw":"13.2.0","t":"tasmota_C2E9A6","ft":"%prefix%/%topic%/","tp":["cmnd","stat","tele"],"ver":1}',
      true,
    );
    await publish(
      'shellies/announce',
      '{"id":"shellyplug-s-7AD2AC","model":"SHPLG-S","mac":"A4CF127AD2AC","ip":"192.168.1.30","new_fw":false,"fw_ver":"20230913-112003/v1.14.0-gcb84623"}',
    );
    await publish('shellypro3em-a8032ab12345/online', 'true', true);
    await publish(
      'zigbee2mqtt/bridge/devices',
      JSON.stringify([
        { ieee_address: '0x00124b00120144ae', type: 'Coordinator', friendly_name: 'Coordinator', definition: null },
        {
          ieee_address: '0xa4c138ad1e2f0e4b',
          type: 'Router',
          friendly_name: 'attic plug',
          definition: { model: 'TS011F_plug_1', vendor: 'TuYa', description: 'Smart plug (with power monitoring)' },
        },
      ]),
      true,
    );
    type Discovered = {
      format: string;
      topic: string;
      announcedOn: string;
      model: string | null;
      name: string | null;
      lastSeenAt: string;
      deviceId: number | null;
    };
    const list = async (): Promise<Discovered[]> => (await t.http.get('/api/mqtt/discovered').expect(200)).body;
    const found = await waitFor('the four announced', async () => ((await list()).length >= 4 ? list() : undefined));
    const byTopic = Object.fromEntries(found.map((d) => [d.topic, d]));
    expect(byTopic['tasmota_C2E9A6']).toMatchObject({
      format: 'tasmota',
      announcedOn: 'tasmota/discovery/A4CF12C2E9A6/config',
      model: 'Sonoff Pow R2',
      name: 'Boiler',
      deviceId: null,
    });
    expect(byTopic['shellyplug-s-7AD2AC']).toMatchObject({ format: 'shelly-gen1', model: 'SHPLG-S', deviceId: null });
    expect(byTopic['shellypro3em-a8032ab12345']).toMatchObject({
      format: 'shelly-gen2',
      model: 'shellypro3em',
      announcedOn: 'shellypro3em-a8032ab12345/online',
    });
    expect(byTopic['attic plug']).toMatchObject({ format: 'zigbee2mqtt', model: 'TS011F_plug_1', name: 'TuYa Smart plug (with power monitoring)' });
    expect(byTopic['Coordinator']).toBeUndefined();
    expect(Date.parse(byTopic['tasmota_C2E9A6'].lastSeenAt)).toBeGreaterThan(Date.now() - 60_000);

    // Added from the list: the entry names its device.
    const id = await addDevice('Boiler', { format: 'tasmota', topic: 'tasmota_C2E9A6' });
    expect((await list()).find((d) => d.topic === 'tasmota_C2E9A6')?.deviceId).toBe(id);
    // A client's own users do not see what the broker announces (it belongs to no client yet).
    await (await t.userAgent('admin', clientId)).get('/api/mqtt/discovered').expect(403);
  });

  it('reads a Shelly Gen1 relay, energy in watt-minutes as Wh', async () => {
    const id = await addDevice('Shelly plug', { format: 'shelly-gen1', topic: 'shellyplug-s-7AD2AB' });
    await publish('shellies/shellyplug-s-7AD2AB/relay/0/energy', '1234');
    const items = await waitFor('the energy stored', async () => ((await values(id)).length === 1 ? values(id) : undefined));
    // 1,234 W·min / 60 = 20.5667 Wh
    expect(items[0].metric).toBe('energy');
    expect(items[0].value).toBeCloseTo(20.5667, 4);
    // Deleted: its ten topic filters (relay power and energy, seven emeter values, online) are left.
    const before = (await health()).mqtt.subscriptions as number;
    await t.http.delete(`/api/devices/${id}`).query({ purge: true }).expect(204);
    await waitFor('unsubscribed', async () => (await health()).mqtt.subscriptions === before - 10);
  });

  it('reports the broker lost in /api/health (reconnecting, with the error) and reconnects when it is back', async () => {
    await broker.stop();
    const h = await waitFor('reconnecting', async () => {
      const body = await health();
      return body.mqtt.status === 'reconnecting' && body.mqtt.lastError ? body : undefined;
    });
    expect(h.failing).toContain('mqtt');
    expect(h.mqtt.broker).toBe(broker.url);
    await broker.start();
    await waitFor('connected again', async () => (await health()).mqtt.status === 'connected', 60_000);
    // Still read after the reconnect (the meter connects again too).
    meter = await broker.publisher();
    const id = await addDevice('After outage', { format: 'zigbee2mqtt', topic: 'late plug' });
    await publish('zigbee2mqtt/late plug', '{"power":7}');
    await waitFor('stored after the reconnect', async () => (await values(id)).length === 1);
  }, 90_000);

  it('stores what was published at QoS 1 while the server was stopped once it starts again (persistent session)', async () => {
    const id = await addDevice('Night plug', { format: 'zigbee2mqtt', topic: 'night plug' });
    await t.app.close();
    for (const power of [11, 12, 13]) await publish('zigbee2mqtt/night plug', JSON.stringify({ power }));
    // The same data and client id: the broker hands over the session's queued messages.
    const database = t.config.database;
    t = await startTestApp({
      MQTT_URL: broker.url,
      MQTT_PROTOCOL_VERSION: '4',
      MQTT_CLIENT_ID: `pieng-spec-${process.pid}`,
      RETENTION_RAW_DAYS: '36500',
      RETENTION_1M_DAYS: '36500',
      DATA_DIR: t.dataDir,
      ...(database.type === 'postgres' && { DATABASE_URL: database.url }),
    });
    await waitFor('the three queued messages stored', async () => (await values(id)).length === 3);
    expect((await values(id)).map((i) => i.value)).toEqual([11, 12, 13]);
  });

  it('keeps /api/health mqtt off without MQTT_URL', async () => {
    const plain = await startTestApp();
    try {
      const body = (await plain.http.get('/api/health').expect(200)).body;
      expect(body.mqtt).toMatchObject({ status: 'off', broker: null, clientId: null });
      expect(body.failing).not.toContain('mqtt');
    } finally {
      await plain.close();
    }
  });
});
