// Hostile load (issue 11, items 7-11): what one client, or an anonymous caller, can do to another
// client's ingest. Every scenario starts a fresh server, measures a victim client's one-reading
// ingest (an API key, one request at a time) while quiet and then under the attack, in the same
// run, and prints both with their ratio.
//
//   node bench/hostile-load.mjs [--only 7,8,9,10,11] [--main path/to/main.js]
//
// --main runs another build (e.g. one of an older commit) so that before and after are measured
// with the same script on the same machine.
import http from 'node:http';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { api, startApi } from './api-server.mjs';

const require = createRequire(import.meta.url);
const T0 = Date.UTC(2026, 0, 1);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function stats(xs) {
  if (xs.length === 0) return { n: 0, median: NaN, p95: NaN, max: NaN };
  const s = [...xs].sort((a, b) => a - b);
  return { n: s.length, median: s[Math.floor(s.length / 2)], p95: s[Math.min(s.length - 1, Math.floor(s.length * 0.95))], max: s[s.length - 1] };
}
const ms = (x) => (Number.isFinite(x) ? (x >= 1000 ? `${(x / 1000).toFixed(2)} s` : `${x.toFixed(1)} ms`) : '-');
const describe = (s) => `median ${ms(s.median)}, p95 ${ms(s.p95)}, max ${ms(s.max)} (${s.n} requests)`;

/** One HTTP call that never throws: {status, text} or {status: 0, error}. */
function call(url, method, path, { headers = {}, body, agent, localAddress, timeoutMs = 120_000 } = {}) {
  const text = body === undefined ? undefined : typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
  return new Promise((resolve) => {
    const req = http.request(
      url + path,
      {
        method,
        agent,
        localAddress,
        headers: { ...(text !== undefined && { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }), ...headers },
      },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, text: Buffer.concat(chunks).toString() }));
        res.on('error', (error) => resolve({ status: res.statusCode ?? 0, error }));
      },
    );
    req.setTimeout(timeoutMs, () => req.destroy(new Error('timeout')));
    req.on('error', (error) => resolve({ status: 0, error }));
    req.end(text);
  });
}

/** CPU seconds and resident memory of a process, from /proc. */
function procSample(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]); // utime + stime, in clock ticks (100 per second on Linux)
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return { cpuSec: ticks / 100, rssMiB: rssKb / 1024 };
}

/** A client (tenant) with one `api` device and an API key of the given scope. */
async function tenant(server, name, scope = 'ingest') {
  const client = await api(server, 'POST', '/api/clients', { name });
  const device = await api(server, 'POST', '/api/devices', { clientId: client.id, name: `${name} meter`, deviceType: 'api' });
  const key = await api(server, 'POST', '/api/api-keys', { name: `${name} ${scope}`, scope, clientId: client.id });
  return { clientId: client.id, deviceId: device.id, key: key.key };
}

async function apiKey(server, clientId, scope) {
  return (await api(server, 'POST', '/api/api-keys', { name: `bench ${scope} ${Date.now()}`, scope, clientId })).key;
}

let tsCounter = 0;
/**
 * The victim: one reading at a time through its API key until `until()` says stop; the latency of each.
 * Its own keep-alive connection, so that it never waits for a socket behind the attacker's requests.
 */
async function victim(server, v, until) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const latencies = [];
  const failures = {};
  while (!until()) {
    const body = { readings: [{ deviceId: v.deviceId, timestamp: T0 + ++tsCounter * 1000, metrics: { voltage: 230.1, power: 120 } }] };
    const started = performance.now();
    const res = await call(server.url, 'POST', '/api/ingest', { headers: { 'x-api-key': v.key }, body, agent });
    if (res.status === 200) latencies.push(performance.now() - started);
    else failures[res.status] = (failures[res.status] ?? 0) + 1;
  }
  agent.destroy();
  return { ...stats(latencies), failures };
}

/** Quiet, then while `attack` runs: the victim's latencies both times. */
async function victimQuietThenUnder(server, v, attack, quietMs = 3000) {
  const quietEnd = performance.now() + quietMs;
  const quiet = await victim(server, v, () => performance.now() > quietEnd);
  let done = false;
  const attacked = attack().finally(() => (done = true));
  const under = await victim(server, v, () => done);
  return { quiet, under, attack: await attacked };
}

async function withServer(options, env, fn) {
  const server = await startApi(env, [], options.main ? { main: options.main } : {});
  try {
    return await fn(server);
  } finally {
    await server.stop();
  }
}

// 7. Logins: 40 parallel wrong passwords for one account; 100 parallel logins from 100 addresses.
async function loginFlood(options) {
  const account = await withServer(options, {}, async (server) => {
    const c = await api(server, 'POST', '/api/clients', { name: 'Throttled' });
    await api(server, 'POST', '/api/users', { email: 'target@bench.local', password: 'right-password-123', role: 'viewer', clientId: c.id });
    const answers = await Promise.all(
      Array.from({ length: 40 }, () => call(server.url, 'POST', '/api/auth/login', { body: { email: 'target@bench.local', password: 'wrong-password-xyz' } })),
    );
    const counts = {};
    for (const a of answers) counts[a.status] = (counts[a.status] ?? 0) + 1;
    return counts;
  });
  const flood = await withServer(options, {}, async (server) => {
    const v = await tenant(server, 'Victim');
    return victimQuietThenUnder(server, v, async () => {
      const counts = {};
      const started = performance.now();
      // 3 waves of 100 parallel logins, each from its own loopback address (a botnet, not one noisy host).
      for (let wave = 0; wave < 3; wave++) {
        const answers = await Promise.all(
          Array.from({ length: 100 }, (_, i) =>
            call(server.url, 'POST', '/api/auth/login', {
              localAddress: `127.0.${wave + 1}.${i + 1}`,
              agent: false,
              body: { email: `nobody${wave}-${i}@bench.local`, password: 'guess-password-1' },
            }),
          ),
        );
        for (const a of answers) counts[a.status] = (counts[a.status] ?? 0) + 1;
      }
      return { counts, seconds: (performance.now() - started) / 1000 };
    });
  });
  console.log('\n7. Logins');
  console.log(`   40 parallel wrong passwords for one account, answers by status: ${JSON.stringify(account)} (401 = the password was checked; the limit is 5)`);
  console.log(`   300 logins from 300 addresses in waves of 100 (${flood.attack.seconds.toFixed(1)} s, answers ${JSON.stringify(flood.attack.counts)}):`);
  console.log(`     another client's one-reading ingest quiet:  ${describe(flood.quiet)}`);
  console.log(
    `     ... during the login flood:                ${describe(flood.under)}${Object.keys(flood.under.failures).length ? ` failures ${JSON.stringify(flood.under.failures)}` : ''}`,
  );
  console.log(`     ratio of medians ${(flood.under.median / flood.quiet.median).toFixed(1)}, of max ${(flood.under.max / flood.quiet.max).toFixed(1)}`);
  return { verifiedOfForty: account['401'] ?? 0, answers: account, victimQuiet: flood.quiet, victimUnderFlood: flood.under };
}

/** Batches of `perBatch` readings x 4 metrics from `workers` concurrent senders for `durationMs`: readings/s. */
async function ingestRate(server, t, durationMs, { workers = 4, perBatch = 50 } = {}) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: workers });
  const end = performance.now() + durationMs;
  let readings = 0;
  const started = performance.now();
  const statuses = {};
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (performance.now() < end) {
        const base = ++tsCounter * 1000;
        tsCounter += perBatch;
        const body = {
          readings: Array.from({ length: perBatch }, (_, i) => ({
            deviceId: t.deviceId,
            timestamp: T0 + base + i * 1000,
            metrics: { voltage: 230, current: 1.2, power: 276, energy: 1000 + i },
          })),
        };
        const res = await call(server.url, 'POST', '/api/ingest', { headers: { 'x-api-key': t.key }, body, agent });
        if (res.status === 200) readings += perBatch;
        else statuses[res.status] = (statuses[res.status] ?? 0) + 1;
      }
    }),
  );
  agent.destroy();
  return { readingsPerSec: readings / ((performance.now() - started) / 1000), statuses };
}

// 8. 200 live streams opened with one read key.
async function liveStreams(options) {
  return withServer(options, {}, async (server) => {
    const v = await tenant(server, 'Victim');
    const b = await tenant(server, 'Streamer');
    const readKey = await apiKey(server, b.clientId, 'read');
    const phase = async () => {
      let rate;
      const { quiet, under } = await victimQuietThenUnder(server, v, async () => (rate = await ingestRate(server, b, 4000)), 2000);
      return { rate, victimQuiet: quiet, victimWhileStreamerIngests: under };
    };
    const before = await phase();
    const streams = [];
    const answers = {};
    const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });
    for (let i = 0; i < 200; i++) {
      const status = await new Promise((resolve) => {
        const req = http.get(`${server.url}/api/live`, { agent, headers: { 'x-api-key': readKey, accept: 'text/event-stream' } }, (res) => {
          if (res.statusCode === 200) {
            res.on('data', () => undefined);
            res.on('error', () => undefined);
            streams.push(req);
          } else res.resume();
          resolve(res.statusCode);
        });
        req.on('error', () => resolve(0));
      });
      answers[status] = (answers[status] ?? 0) + 1;
    }
    const after = await phase();
    for (const req of streams) req.destroy();
    agent.destroy();
    console.log('\n8. Live streams');
    console.log(`   200 GET /api/live with one read key, answers by status: ${JSON.stringify(answers)}`);
    console.log(
      `   that client's ingest (4 senders x 50 readings): ${before.rate.readingsPerSec.toFixed(0)} readings/s without streams, ${after.rate.readingsPerSec.toFixed(0)} with them (ratio ${(after.rate.readingsPerSec / before.rate.readingsPerSec).toFixed(2)})`,
    );
    console.log(`   another client's one-reading ingest meanwhile, without streams: ${describe(before.victimWhileStreamerIngests)}`);
    console.log(`                                                    with streams:  ${describe(after.victimWhileStreamerIngests)}`);
    return {
      streamAnswers: answers,
      streamerRateWithout: before.rate.readingsPerSec,
      streamerRateWith: after.rate.readingsPerSec,
      victimWithout: before.victimWhileStreamerIngests,
      victimWith: after.victimWhileStreamerIngests,
    };
  });
}

// 9. Eight parallel chart reads over 1M values by one viewer.
async function seriesReads(options) {
  return withServer(options, {}, async (server) => {
    const v = await tenant(server, 'Victim');
    const b = await tenant(server, 'Reader');
    // 1M values: 100,000 readings x 10 metrics, 500 readings per batch, 4 senders.
    const metrics = ['voltage', 'current', 'power', 'energy', 'frequency', 'powerFactor', 'voltageL1', 'voltageL2', 'voltageL3', 'currentL1'];
    const seedStarted = performance.now();
    const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
    let next = 0;
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        for (;;) {
          const batch = next++;
          if (batch >= 200) return;
          const readings = Array.from({ length: 500 }, (_, i) => {
            const n = batch * 500 + i;
            return { deviceId: b.deviceId, timestamp: T0 + n * 10_000, metrics: Object.fromEntries(metrics.map((m, k) => [m, 230 + Math.sin(n / 300 + k)])) };
          });
          const res = await call(server.url, 'POST', '/api/ingest', { headers: { 'x-api-key': b.key }, body: { readings }, agent });
          if (res.status !== 200) throw new Error(`seeding failed: ${res.status} ${res.text?.slice(0, 200)}`);
        }
      }),
    );
    agent.destroy();
    const seedSec = (performance.now() - seedStarted) / 1000;
    await api(server, 'POST', '/api/users', { email: 'viewer@bench.local', password: 'viewer-password-1', role: 'viewer', clientId: b.clientId });
    const login = await call(server.url, 'POST', '/api/auth/login', { body: { email: 'viewer@bench.local', password: 'viewer-password-1' } });
    const token = JSON.parse(login.text).accessToken;
    const from = new Date(T0).toISOString();
    const to = new Date(T0 + 100_000 * 10_000).toISOString();
    const path = `/api/metrics/series?deviceId=${b.deviceId}&metrics=voltage,power&from=${from}&to=${to}&points=500`;
    const seriesTimes = [];
    const seriesStatuses = {};
    const { quiet, under } = await victimQuietThenUnder(server, v, async () => {
      const readers = new http.Agent({ keepAlive: true, maxSockets: 8 });
      const end = performance.now() + 8000;
      await Promise.all(
        Array.from({ length: 8 }, async () => {
          while (performance.now() < end) {
            const started = performance.now();
            const res = await call(server.url, 'GET', path, { headers: { authorization: `Bearer ${token}` }, agent: readers });
            seriesStatuses[res.status] = (seriesStatuses[res.status] ?? 0) + 1;
            if (res.status === 200) seriesTimes.push(performance.now() - started);
          }
        }),
      );
      readers.destroy();
    });
    const series = stats(seriesTimes);
    console.log('\n9. Chart reads');
    console.log(`   1M values seeded through the API in ${seedSec.toFixed(1)} s; 8 readers loop on a 500-point series over them for 8 s`);
    console.log(`   series answers by status ${JSON.stringify(seriesStatuses)}; 200s: ${describe(series)}`);
    console.log(`   another client's one-reading ingest quiet:      ${describe(quiet)}`);
    console.log(`   ... while the 8 readers run:                   ${describe(under)}`);
    console.log(`   ratio of medians ${(under.median / quiet.median).toFixed(1)}`);
    return { series, seriesStatuses, victimQuiet: quiet, victimUnderReads: under };
  });
}

// 10. Devices created by an ingest key; the idle cost of 100,000 devices that are not polled.
async function deviceFlood(options) {
  const created = await withServer(options, {}, async (server) => {
    const b = await tenant(server, 'Creator', 'ingest');
    let made = 0;
    const statuses = {};
    for (let batch = 0; batch < 2; batch++) {
      const uids = Array.from({ length: 1000 }, (_, i) => `flood-${batch}-${i}`);
      const body = {
        readings: uids.map((deviceUid) => ({ deviceUid, timestamp: T0, metrics: { voltage: 230 } })),
        devices: uids.map((uid) => ({ uid, name: uid })),
      };
      const res = await call(server.url, 'POST', '/api/ingest', { headers: { 'x-api-key': b.key }, body });
      statuses[res.status] = (statuses[res.status] ?? 0) + 1;
    }
    const devices = await api(server, 'GET', `/api/devices?clientId=${b.clientId}`);
    made = devices.length - 1;
    return { made, statuses };
  });

  const sqlite3 = require('sqlite3');
  const idle = async (extraDevices) => {
    // Started once to migrate, stopped, filled straight in SQL (fast), started again with polling on.
    const first = await startApi({ ENABLE_POLLING: 'false' }, [], options.main ? { main: options.main } : {});
    const dataDir = first.dataDir;
    const t = await tenant(first, 'Idle');
    await first.stop();
    if (extraDevices > 0) {
      const db = await new Promise((res, rej) => {
        const d = new sqlite3.Database(join(dataDir, 'app.db'), (e) => (e ? rej(e) : res(d)));
      });
      const run = (sql, params = []) => new Promise((res, rej) => db.run(sql, params, (e) => (e ? rej(e) : res())));
      await run('BEGIN');
      for (let i = 0; i < extraDevices; i += 500) {
        const rows = Array.from(
          { length: Math.min(500, extraDevices - i) },
          (_, k) => `('idle-${i + k}', ${t.clientId}, 'Pushed meter ${i + k}', 'api', 1, 30, '{}', 0, ${Date.now()})`,
        );
        await run(
          `INSERT INTO devices (uid, client_id, name, device_type, active, poll_interval_sec, config, consecutive_failures, created_at) VALUES ${rows.join(',')}`,
        );
      }
      await run('COMMIT');
      await new Promise((r) => db.close(r));
    }
    const server = await startApi({ DATA_DIR: dataDir, ENABLE_POLLING: 'true' }, [], options.main ? { main: options.main } : {});
    try {
      await sleep(3000);
      const a = procSample(server.child.pid);
      await sleep(10_000);
      const b = procSample(server.child.pid);
      return { cpuPercent: ((b.cpuSec - a.cpuSec) / 10) * 100, rssMiB: b.rssMiB };
    } finally {
      await server.stop();
    }
  };
  const base = await idle(0);
  const loaded = await idle(100_000);
  console.log('\n10. Devices');
  console.log(`   an ingest-scope key naming 2,000 new device uids: ${created.made} devices created (answers ${JSON.stringify(created.statuses)})`);
  console.log(
    `   idle server, polling on, over 10 s: ${base.cpuPercent.toFixed(1)} % of a core and ${base.rssMiB.toFixed(0)} MiB with 1 device; ${loaded.cpuPercent.toFixed(1)} % and ${loaded.rssMiB.toFixed(0)} MiB with 100,000 pushed (not polled) devices`,
  );
  return { createdByIngestKey: created.made, idleBase: base, idleWith100k: loaded };
}

// 11. Anonymous 3.3 MB bodies on /api/ingest.
async function anonymousBodies(options) {
  return withServer(options, {}, async (server) => {
    const v = await tenant(server, 'Victim');
    const readings = Array.from({ length: 9000 }, (_, i) => ({
      deviceId: 1,
      timestamp: T0 + i * 1000,
      metrics: { voltage: 230.123456, current: 1.234567, power: 283.4567, energy: 123456.789, frequency: 50.01 },
    }));
    let text = JSON.stringify({ readings });
    while (Buffer.byteLength(text) < 3.3 * 1024 * 1024) text = text.replace('"readings":[', `"readings":[${JSON.stringify(readings[0])},`);
    const body = Buffer.from(text);
    const rssBefore = procSample(server.child.pid).rssMiB;
    let rssMax = rssBefore;
    const sampler = setInterval(() => (rssMax = Math.max(rssMax, procSample(server.child.pid).rssMiB)), 100);
    const statuses = {};
    const { quiet, under } = await victimQuietThenUnder(server, v, async () => {
      const end = performance.now() + 8000;
      await Promise.all(
        Array.from({ length: 8 }, async () => {
          while (performance.now() < end) {
            const res = await call(server.url, 'POST', '/api/ingest', { body, agent: false });
            const key = res.status || (res.error?.code ?? 'error');
            statuses[key] = (statuses[key] ?? 0) + 1;
          }
        }),
      );
    });
    clearInterval(sampler);
    console.log('\n11. Anonymous large bodies');
    console.log(`   8 anonymous senders of a ${(body.length / 1048576).toFixed(1)} MiB body to /api/ingest for 8 s, answers ${JSON.stringify(statuses)}`);
    console.log(`   another client's one-reading ingest quiet:  ${describe(quiet)}`);
    console.log(`   ... during:                                ${describe(under)}`);
    console.log(`   server RSS ${rssBefore.toFixed(0)} MiB before, at most ${rssMax.toFixed(0)} MiB during (+${(rssMax - rssBefore).toFixed(0)} MiB)`);
    return { statuses, victimQuiet: quiet, victimUnder: under, rssBeforeMiB: rssBefore, rssMaxMiB: rssMax };
  });
}

const SCENARIOS = { 7: loginFlood, 8: liveStreams, 9: seriesReads, 10: deviceFlood, 11: anonymousBodies };

export async function run(options = {}) {
  const only = options.only ?? Object.keys(SCENARIOS).map(Number);
  console.log(`\nHostile load (issue 11, items ${only.join(', ')})${options.main ? ` against ${options.main}` : ''}`);
  const results = {};
  for (const item of only) results[item] = await SCENARIOS[item](options);
  return results;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  if (args.includes('--help')) {
    console.log('node bench/hostile-load.mjs [--only 7,8,9,10,11] [--main path/to/main.js]');
    process.exit(0);
  }
  const value = (flag) => (args.includes(flag) ? args[args.indexOf(flag) + 1] : undefined);
  const only = value('--only')?.split(',').map(Number);
  const results = await run({ only, main: value('--main') });
  console.log('\nJSON:', JSON.stringify(results));
}
