// MQTT benchmark (issue 14): readings ingested from the broker, against the broker's own throughput, on the real Mosquitto (127.0.0.1:1883).
// (a) baseline: the same Tasmota messages published at QoS 1 and received back by a bare MQTT.js subscriber (QoS 1, acknowledging at once)
// (b) the server (MQTT 5, the default): the messages published to the meters' topics, until every value is stored; values/s and b/a
// (c) the server under MQTT 3.1.1 (MQTT_PROTOCOL_VERSION=4): Mosquitto then keeps at most max_inflight_messages (20 by default) unacknowledged
// Each message: one Tasmota tele/<topic>/SENSOR with 5 values (energy, power, voltage, current, frequency), each with its own Time.
import { rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { connect as connectTcp } from 'node:net';
import { performance } from 'node:perf_hooks';
import { api, startApi } from './api-server.mjs';

const require = createRequire(import.meta.url);
const mqtt = require('mqtt');

const BROKER = 'mqtt://127.0.0.1:1883';
const VALUES_PER_MESSAGE = 5;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const reachable = () =>
  new Promise((resolve) => {
    const socket = connectTcp(1883, '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });

/** The messages: `devices` meters, `perDevice` readings each one second apart, interleaved (as many meters would send them). */
function messages(run, devices, perDevice, t0) {
  const out = [];
  for (let i = 0; i < perDevice; i++) {
    const time = new Date(t0 + i * 1000).toISOString().slice(0, 19);
    for (let d = 0; d < devices; d++) {
      const payload = JSON.stringify({
        Time: time,
        ENERGY: { Total: 1000 + i / 1000, Power: 100 + (i % 50), Voltage: 220 + (i % 7), Current: 0.5 + (i % 9) / 100, Frequency: 60 },
      });
      out.push({ topic: `tele/${run}-${d}/SENSOR`, payload });
    }
  }
  return out;
}

/**
 * Mosquitto holds at most max_queued_messages (1,000 by default) for a subscriber beyond those in flight
 * (max_inflight_messages, 20, unless the client says its Receive Maximum) and drops the rest: the
 * publisher keeps at most this many messages ahead of what the consumer has taken, as in (a) so in (b) and (c).
 */
const WINDOW = 900;

/** Publishes every message at QoS 1, never more than WINDOW ahead of consumed(), resolving once the broker has acknowledged all. */
async function publishAll(list, consumed) {
  const publisher = await mqtt.connectAsync(BROKER, { clientId: `pieng-bench-pub-${process.pid}`, clean: true, protocolVersion: 5 });
  try {
    const acknowledged = [];
    for (let i = 0; i < list.length; i++) {
      while (i - consumed() >= WINDOW) await sleep(2);
      acknowledged.push(publisher.publishAsync(list[i].topic, list[i].payload, { qos: 1 }));
    }
    await Promise.all(acknowledged);
  } finally {
    await publisher.endAsync();
  }
}

async function baseline(run, list) {
  const subscriber = await mqtt.connectAsync(BROKER, { clientId: `pieng-bench-sub-${process.pid}`, clean: true, protocolVersion: 5 });
  let received = 0;
  let resolveAll;
  const all = new Promise((r) => (resolveAll = r));
  subscriber.on('message', () => {
    if (++received === list.length) resolveAll();
  });
  await subscriber.subscribeAsync(`tele/${run}/+/SENSOR`, { qos: 1 });
  const renamed = list.map((m) => ({ topic: m.topic.replace(`tele/${run}-`, `tele/${run}/`), payload: m.payload }));
  const started = performance.now();
  await publishAll(renamed, () => received);
  await all;
  const seconds = (performance.now() - started) / 1000;
  await subscriber.endAsync();
  return (list.length * VALUES_PER_MESSAGE) / seconds;
}

/** The built server reading `devices` Tasmota meters; values/s from the first publish until every value is stored and acknowledged. */
async function server(run, list, devices, perDevice, t0, protocolVersion) {
  const clientId = `pieng-bench-${run}-v${protocolVersion}`;
  const srv = await startApi({
    MQTT_URL: BROKER,
    MQTT_CLIENT_ID: clientId,
    MQTT_PROTOCOL_VERSION: String(protocolVersion),
    RETENTION_RAW_DAYS: '36500',
    RETENTION_1M_DAYS: '36500',
  });
  try {
    const client = await api(srv, 'POST', '/api/clients', { name: 'Bench', timezone: 'UTC' });
    const ids = [];
    for (let d = 0; d < devices; d++)
      ids.push(
        (
          await api(srv, 'POST', '/api/devices', {
            clientId: client.id,
            name: `Plug ${d}`,
            deviceType: 'mqtt',
            config: { format: 'tasmota', topic: `${run}-${d}` },
          })
        ).id,
      );
    for (let i = 0; ; i++) {
      const h = (await api(srv, 'GET', '/api/health')).mqtt;
      if (h.status === 'connected' && h.devices === devices && h.subscriptions >= devices) break;
      if (i > 300) throw new Error(`the server did not subscribe: ${JSON.stringify(h)}`);
      await sleep(100);
    }
    const count = async (id) => (await api(srv, 'GET', `/api/metrics/summary?deviceId=${id}&metric=power&from=${t0}&to=${t0 + perDevice * 1000}`)).count;
    // Messages are delivered in the order published, the devices in turn: the last device's count times the devices is at most what is stored.
    const last = ids[ids.length - 1];
    let stored = 0;
    const started = performance.now();
    const publishing = publishAll(list, () => stored);
    while (stored < list.length) {
      stored = (await count(last)) * devices;
      await sleep(10);
    }
    await publishing;
    const seconds = (performance.now() - started) / 1000;
    for (const id of ids) if ((await count(id)) !== perDevice) throw new Error(`device ${id}: ${await count(id)} of ${perDevice} readings stored`);
    return (list.length * VALUES_PER_MESSAGE) / seconds;
  } finally {
    await srv.stop();
    rmSync(srv.dataDir, { recursive: true, force: true });
    // The broker would keep the persistent session of this client id for ever.
    const cleanup = await mqtt.connectAsync(BROKER, { clientId, clean: true, protocolVersion: 5 });
    await cleanup.endAsync();
  }
}

export async function run({ print = true, devices = 20, perDevice = 1000 } = {}) {
  if (!(await reachable())) {
    const result = { skipped: 'no MQTT broker on 127.0.0.1:1883 (apt-get install mosquitto, or mosquitto -d)' };
    if (print) console.log(`\nMQTT ingest: ${result.skipped}`);
    return result;
  }
  const run = `bench${process.pid}${Date.now().toString(36)}`;
  // Two days ago, whole seconds: within what the server accepts, and as Tasmota sends it (UTC client).
  const t0 = Math.floor((Date.now() - 2 * 86_400_000) / 1000) * 1000;
  const list = messages(run, devices, perDevice, t0);
  const baselinePerSec = await baseline(run, list);
  const v5PerSec = await server(run, list, devices, perDevice, t0, 5);
  const v4List = messages(`${run}v4`, devices, perDevice / 4, t0);
  const v4PerSec = await server(`${run}v4`, v4List, devices, perDevice / 4, t0, 4);
  const result = {
    messages: list.length,
    baselineValuesPerSec: Math.round(baselinePerSec),
    mqtt5ValuesPerSec: Math.round(v5PerSec),
    mqtt5Ratio: +(v5PerSec / baselinePerSec).toFixed(2),
    mqtt311ValuesPerSec: Math.round(v4PerSec),
    mqtt311Ratio: +(v4PerSec / baselinePerSec).toFixed(2),
  };
  if (print) {
    console.log(`\nMQTT ingest from Mosquitto (SQLite, ${devices} Tasmota meters, ${VALUES_PER_MESSAGE} values per message, QoS 1, this machine)`);
    console.log(
      `  (a) published and received back by a bare MQTT.js subscriber      ${result.baselineValuesPerSec.toLocaleString('en')} values/s (${list.length.toLocaleString('en')} messages)`,
    );
    console.log(
      `  (b) published and stored by the server (MQTT 5)                    ${result.mqtt5ValuesPerSec.toLocaleString('en')} values/s   b/a = ${result.mqtt5Ratio}`,
    );
    console.log(
      `  (c) the same under MQTT 3.1.1 (Mosquitto: 20 unacknowledged)        ${result.mqtt311ValuesPerSec.toLocaleString('en')} values/s   c/a = ${result.mqtt311Ratio} (${v4List.length.toLocaleString('en')} messages)`,
    );
  }
  return result;
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
