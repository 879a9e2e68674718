// Forwarding benchmark (issue 6): two built API instances on loopback, master -> slave.
// (a) baseline: POST /api/ingest straight to the slave, 500 readings per request, one client at a time (what the forwarder does)
// (b) forwarding throughput: a backlog on the master drained to the slave, readings/s, and b/a
// (c) steady-state lag at 1,000 readings/s: how old the oldest unsent reading is on the master, and how far the slave's newest reading is behind
import { rmSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { api, startApi } from './api-server.mjs';

const T0 = Date.UTC(2026, 0, 1);
const METRICS = ['voltage', 'current', 'power', 'energy', 'frequency'];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const pct = (xs, p) => (xs.length ? [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))] : NaN);

const reading = (device, i, ts) => {
  const metrics = {};
  for (let k = 0; k < METRICS.length; k++) metrics[METRICS[k]] = +(230 + 5 * Math.sin(i / 500 + k) + (i % 7) * 0.01).toFixed(3);
  return { [typeof device === 'string' ? 'deviceUid' : 'deviceId']: device, timestamp: ts, metrics };
};

async function waitDrained(master, timeoutMs = 600_000) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const s = await api(master, 'GET', '/api/forwarding/status');
    if (s.pending === 0 && !s.full && s.overflowDevices === 0) return s;
    if (Date.now() > until) throw new Error(`not drained: ${JSON.stringify(s)}`);
    await sleep(50);
  }
}

export async function run({ print = true, backlog = 50_000, lagSeconds = 20, rate = 1000 } = {}) {
  const slave = await startApi();
  let master;
  try {
    const client = await api(slave, 'POST', '/api/clients', { name: 'Bench', externalId: 'BENCH' });
    const { key } = await api(slave, 'POST', '/api/api-keys', { name: 'master', scope: 'ingest', clientId: client.id });
    master = await startApi({ FORWARDER_URL: slave.url, FORWARDER_API_KEY: key, FORWARDER_BATCH_SIZE: '500' });
    const mc = await api(master, 'POST', '/api/clients', { name: 'Bench', externalId: 'BENCH' });
    const device = await api(master, 'POST', '/api/devices', { clientId: mc.id, name: 'Bench meter', deviceType: 'api' });

    // (a) baseline on the slave: the same shape of request the forwarder sends, to a device of its own.
    const baselineDevice = await api(slave, 'POST', '/api/devices', { clientId: client.id, name: 'Baseline meter', deviceType: 'api' });
    const baselineN = 20_000;
    for (let r = 0; r < 2000; r += 500) {
      // warm-up, not timed
      await api(slave, 'POST', '/api/ingest', {
        readings: Array.from({ length: 500 }, (_, k) => reading(baselineDevice.id, r + k, T0 - 3_600_000 + (r + k) * 1000)),
      });
    }
    let started = performance.now();
    for (let r = 0; r < baselineN; r += 500) {
      const readings = Array.from({ length: 500 }, (_, k) => reading(baselineDevice.id, r + k, T0 + (r + k) * 1000));
      await api(slave, 'POST', '/api/ingest', { readings });
    }
    const baselinePerSec = baselineN / ((performance.now() - started) / 1000);

    // (b) a backlog on the master, sent as fast as the master takes it; the forwarder drains it meanwhile and after.
    started = performance.now();
    for (let r = 0; r < backlog; r += 1000) {
      const readings = Array.from({ length: 1000 }, (_, k) => reading(device.id, r + k, T0 + (r + k) * 1000));
      await api(master, 'POST', '/api/ingest', { readings });
    }
    const ingestSeconds = (performance.now() - started) / 1000;
    const afterIngest = await api(master, 'GET', '/api/forwarding/status');
    const drainStart = performance.now();
    await waitDrained(master);
    const drainSeconds = (performance.now() - drainStart) / 1000;
    const totalSeconds = (performance.now() - started) / 1000;
    const forwardPerSec = afterIngest.pending > 0 ? afterIngest.pending / drainSeconds : backlog / totalSeconds;
    const slaveDevice = (await api(slave, 'GET', '/api/devices')).find((d) => d.uid === device.uid);
    const summary = await api(slave, 'GET', `/api/metrics/summary?deviceId=${slaveDevice.id}&metric=voltage&from=${T0}&to=${T0 + backlog * 1000}`);
    if (summary.count !== backlog) throw new Error(`the slave has ${summary.count} of ${backlog} readings`);

    // (c) 1,000 readings/s with current timestamps, in 100 ms ticks, for lagSeconds; lag sampled every 200 ms.
    const perTick = rate / 10;
    const masterLagMs = [];
    const endToEndLagMs = [];
    let sent = 0;
    let sending = true;
    const sender = (async () => {
      const t0 = performance.now();
      for (let tick = 0; sending; tick++) {
        const now = Date.now();
        const readings = Array.from({ length: perTick }, (_, k) => reading(device.id, sent + k, now - perTick + k + 1));
        sent += perTick;
        await api(master, 'POST', '/api/ingest', { readings });
        const next = t0 + (tick + 1) * 100;
        await sleep(Math.max(0, next - performance.now()));
      }
    })();
    const warmUpUntil = Date.now() + 2000;
    const endAt = Date.now() + lagSeconds * 1000;
    while (Date.now() < endAt) {
      await sleep(200);
      if (Date.now() < warmUpUntil) continue;
      const [s, latest] = await Promise.all([
        api(master, 'GET', '/api/forwarding/status'),
        api(slave, 'GET', `/api/metrics?deviceId=${slaveDevice.id}&metric=voltage&from=${Date.now() - 10_000}&limit=10000`),
      ]);
      masterLagMs.push((s.oldestPendingAgeSec ?? 0) * 1000);
      const newest = latest.items.length ? Date.parse(latest.items[latest.items.length - 1].ts) : NaN;
      if (Number.isFinite(newest)) endToEndLagMs.push(Date.now() - newest);
    }
    sending = false;
    await sender;
    const achievedRate = sent / lagSeconds;
    await waitDrained(master);

    const result = {
      baselineIngestReadingsPerSec: Math.round(baselinePerSec),
      forwardReadingsPerSec: Math.round(forwardPerSec),
      forwardRatio: +(forwardPerSec / baselinePerSec).toFixed(2),
      backlogReadings: backlog,
      backlogIngestSeconds: +ingestSeconds.toFixed(1),
      backlogTotalSeconds: +totalSeconds.toFixed(1),
      lagRateReadingsPerSec: Math.round(achievedRate),
      masterLagP50Ms: Math.round(pct(masterLagMs, 50)),
      masterLagP95Ms: Math.round(pct(masterLagMs, 95)),
      masterLagMaxMs: Math.round(Math.max(...masterLagMs)),
      endToEndLagP50Ms: Math.round(pct(endToEndLagMs, 50)),
      endToEndLagP95Ms: Math.round(pct(endToEndLagMs, 95)),
    };
    if (print) {
      console.log(`\nForwarding master -> slave (SQLite, ${METRICS.length} metrics per reading, batches of 500, this machine)`);
      console.log(
        `  (a) POST /api/ingest to the slave, 500 readings/request, one at a time   ${result.baselineIngestReadingsPerSec.toLocaleString('en')} readings/s`,
      );
      console.log(
        `  (b) forwarding a ${backlog.toLocaleString('en')}-reading backlog                          ${result.forwardReadingsPerSec.toLocaleString('en')} readings/s   b/a = ${result.forwardRatio}`,
      );
      console.log(`      (the master took the backlog in ${result.backlogIngestSeconds} s; all on the slave after ${result.backlogTotalSeconds} s)`);
      console.log(
        `  (c) steady state at ${result.lagRateReadingsPerSec.toLocaleString('en')} readings/s: oldest unsent on the master p50 ${result.masterLagP50Ms} ms, p95 ${result.masterLagP95Ms} ms, max ${result.masterLagMaxMs} ms;`,
      );
      console.log(
        `      slave's newest reading behind by p50 ${result.endToEndLagP50Ms} ms, p95 ${result.endToEndLagP95Ms} ms (includes the 100 ms send tick)`,
      );
    }
    return result;
  } finally {
    await master?.stop();
    await slave.stop();
    if (master) rmSync(master.dataDir, { recursive: true, force: true });
    rmSync(slave.dataDir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
