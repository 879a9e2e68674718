// Ingest and analytics benchmark (issue: core API).
// (a) baseline: 500-row multi-VALUES inserts straight through the sqlite3 driver into the same schema, a commit per 1,000 rows (best of 3 runs)
// (b) POST /api/ingest, 50 readings x 10 metrics per request, concurrent clients: values/s and b/a, with 50 alarm
//     rules on the client (issue 15: alarm evaluation must not take ingest below the bar), most of which never fire
// (c) /api/metrics/summary on a 100k-row series inside a 1M-row table vs the same aggregate SQL run directly
// (d) /api/metrics/series, 500 points over that series
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { api, startApi } from './api-server.mjs';

const require = createRequire(import.meta.url);
const sqlite3 = require('sqlite3');

export const T0 = Date.UTC(2026, 0, 1);
export const METRICS = ['voltage', 'current', 'power', 'energy', 'frequency', 'powerFactor', 'voltageL1', 'voltageL2', 'voltageL3', 'currentL1'];
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const open = (file) =>
  new Promise((res, rej) => {
    const db = new sqlite3.Database(file, (e) => (e ? rej(e) : res(db)));
  });
const run = (db, sql, params = []) => new Promise((res, rej) => db.run(sql, params, (e) => (e ? rej(e) : res())));
const all = (db, sql, params = []) => new Promise((res, rej) => db.all(sql, params, (e, rows) => (e ? rej(e) : res(rows))));

async function rawBaseline(schemaDb, rows) {
  const file = join(mkdtempSync(join(tmpdir(), 'pieng-raw-')), 'raw.db');
  // VACUUM INTO copies the server's migrated schema consistently, WAL included.
  const source = await open(schemaDb);
  await run(source, `VACUUM INTO '${file}'`);
  await new Promise((r) => source.close(r));
  const db = await open(file);
  await run(db, 'PRAGMA journal_mode = WAL');
  const perStatement = 500;
  const sql = `INSERT INTO measurements (device_id, metric, ts, value, source) VALUES ${'(?,?,?,?,?),'.repeat(perStatement).slice(0, -1)}`;
  const started = performance.now();
  let ts = T0;
  for (let done = 0; done < rows; done += 1000) {
    await run(db, 'BEGIN');
    for (let s = 0; s < 2; s++) {
      const params = [];
      for (let i = 0; i < perStatement; i += METRICS.length, ts += 1000) for (const m of METRICS) params.push(1, m, ts, 230 + Math.random(), 'api');
      await run(db, sql, params);
    }
    await run(db, 'COMMIT');
  }
  const seconds = (performance.now() - started) / 1000;
  await new Promise((r) => db.close(r));
  rmSync(file, { force: true });
  return rows / seconds;
}

/** The server's peak resident memory so far (VmHWM), in MiB; null where /proc is not there. */
export function peakRss(pid) {
  try {
    const kb = Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);
    return Math.round(kb / 1024);
  } catch {
    return null;
  }
}

export function ingestBodies(deviceId, readingsTotal, perRequest) {
  const bodies = [];
  for (let r = 0; r < readingsTotal; r += perRequest) {
    const readings = [];
    for (let i = r; i < r + perRequest; i++) {
      const metrics = {};
      for (let k = 0; k < METRICS.length; k++) metrics[METRICS[k]] = +(230 + 5 * Math.sin(i / 500 + k) + (i % 7) * 0.01).toFixed(3);
      readings.push({ deviceId, timestamp: T0 + i * 1000, metrics });
    }
    bodies.push(JSON.stringify({ readings }));
  }
  return bodies;
}

/**
 * `count` alarm rules on the client, as a plant would have them: thresholds on every metric the bench
 * sends that its values (230 ± 5) never reach, one that holds from the first reading and stays
 * active (no write per reading once raised), one rate of change (its state, the last value, is
 * written once per batch) and one offline rule (every batch then loads the rules' states).
 */
export async function createAlarmRules(server, clientId, count) {
  const bodies = [];
  if (count >= 3) {
    bodies.push({ name: 'Always on', metric: 'voltage', operator: '>', threshold: 100, deadband: 5, severity: 'warning' });
    bodies.push({ name: 'Fast change', type: 'rateOfChange', metric: 'power', operator: '>', threshold: 10_000 });
    bodies.push({ name: 'Silent', type: 'offline', staleAfterSec: 3600 });
  }
  for (let i = bodies.length; i < count; i++) {
    const metric = METRICS[i % METRICS.length];
    bodies.push({
      name: `Never ${i}`,
      metric,
      operator: i % 2 ? '>' : '<',
      threshold: i % 2 ? 1000 + i : -1000 - i,
      onDelaySec: i % 3,
      offDelaySec: i % 4,
      severity: ['critical', 'major', 'minor', 'warning'][i % 4],
    });
  }
  for (const body of bodies) await api(server, 'POST', '/api/alarms/rules', { clientId, ...body });
  return bodies.length;
}

/** `main`: another build of the server to measure (before/after a change), as in hostile-load.mjs. */
export async function run_({ print = true, readingsPerSeries = 100_000, concurrency = 4, main, analytics = true, alarmRules = 50 } = {}) {
  const server = await startApi({}, [], main ? { main } : {});
  try {
    const client = await api(server, 'POST', '/api/clients', { name: 'Bench' });
    const device = await api(server, 'POST', '/api/devices', { clientId: client.id, name: 'Bench meter', deviceType: 'api' });
    const rules = await createAlarmRules(server, client.id, alarmRules);

    // (a) on a copy of the server's own, migrated, schema
    // The best of three runs: one short run swings with the disk's fsync times, and the best one makes b/a the harder to meet.
    const rawRuns = [];
    for (let i = 0; i < 3; i++) rawRuns.push(await rawBaseline(join(server.dataDir, 'app.db'), 200_000));
    const rawRowsPerSec = Math.max(...rawRuns);

    // (b) 100k readings x 10 metrics = 1M values over HTTP
    const bodies = ingestBodies(device.id, readingsPerSeries, 50);
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < bodies.length) {
          const body = bodies[next++];
          await api(server, 'POST', '/api/ingest', body);
        }
      }),
    );
    const ingestSeconds = (performance.now() - started) / 1000;
    const httpValuesPerSec = (readingsPerSeries * METRICS.length) / ingestSeconds;
    const peakRssMb = peakRss(server.child.pid);

    if (!analytics)
      return {
        alarmRules: rules,
        rawRowsPerSec: Math.round(rawRowsPerSec),
        httpValuesPerSec: Math.round(httpValuesPerSec),
        ingestRatio: +(httpValuesPerSec / rawRowsPerSec).toFixed(2),
        peakRssMb,
      };
    // (c) summary over one 100k-row series in the 1M-row table, against the same aggregate run directly
    const from = T0,
      to = T0 + readingsPerSeries * 1000;
    const q = `deviceId=${device.id}&metric=voltage&from=${from}&to=${to}`;
    const httpMs = [];
    for (let i = 0; i < 15; i++) {
      const s = performance.now();
      const summary = await api(server, 'GET', `/api/metrics/summary?${q}&lsl=198&usl=242`);
      httpMs.push(performance.now() - s);
      if (summary.count !== readingsPerSeries) throw new Error(`summary counted ${summary.count}`);
    }
    const db = await open(join(server.dataDir, 'app.db'));
    const directMs = [];
    for (let i = 0; i < 15; i++) {
      const s = performance.now();
      await all(
        db,
        'SELECT COUNT(*) n, SUM(value - ?) s1, SUM((value - ?) * (value - ?)) s2, MIN(value), MAX(value) FROM measurements WHERE device_id = ? AND metric = ? AND ts >= ? AND ts <= ?',
        [230, 230, 230, device.id, 'voltage', from, to],
      );
      directMs.push(performance.now() - s);
    }
    await new Promise((r) => db.close(r));

    // (d) series of 500 points over the same series
    const seriesMs = [];
    for (let i = 0; i < 15; i++) {
      const s = performance.now();
      const series = await api(server, 'GET', `/api/metrics/series?deviceId=${device.id}&metrics=voltage&from=${from}&to=${to}&points=500`);
      seriesMs.push(performance.now() - s);
      // At most 500 clock-aligned buckets: 100,000 s in 5-minute buckets gives 334.
      if (series.series[0].points.length > 500 || series.series[0].points.reduce((a, p) => a + p.count, 0) !== readingsPerSeries)
        throw new Error(`series returned ${series.series[0].points.length} points`);
    }

    const result = {
      alarmRules: rules,
      rawRuns: rawRuns.map(Math.round),
      rawRowsPerSec: Math.round(rawRowsPerSec),
      httpValuesPerSec: Math.round(httpValuesPerSec),
      ingestRatio: +(httpValuesPerSec / rawRowsPerSec).toFixed(2),
      peakRssMb,
      summaryMs: +median(httpMs).toFixed(1),
      summaryDirectMs: +median(directMs).toFixed(1),
      summaryRatio: +(median(httpMs) / median(directMs)).toFixed(2),
      seriesMs: +median(seriesMs).toFixed(1),
    };
    if (print) {
      console.log('\nIngest and analytics (SQLite, this machine)');
      console.log(
        `  (a) raw sqlite3 multi-row inserts          ${result.rawRowsPerSec.toLocaleString('en')} rows/s (best of ${rawRuns.map((r) => Math.round(r / 1000) + 'k').join(', ')})`,
      );
      console.log(
        `  (b) POST /api/ingest, ${concurrency} clients, 500 values/request, ${rules} alarm rules on the client  ${result.httpValuesPerSec.toLocaleString('en')} values/s   b/a = ${result.ingestRatio} (target >= 0.6, rollups included); server peak RSS ${result.peakRssMb} MB (target < 250)`,
      );
      console.log(
        `  (c) summary on 100k of 1M rows              ${result.summaryMs} ms over HTTP vs ${result.summaryDirectMs} ms direct SQL   ratio ${result.summaryRatio} (target <= 1.5)`,
      );
      console.log(`  (d) series, 500 points over 100k rows       ${result.seriesMs} ms (target <= 250)`);
    }
    return result;
  } finally {
    await server.stop();
    rmSync(server.dataDir, { recursive: true, force: true });
  }
}
export { run_ as run };

if (import.meta.url === `file://${process.argv[1]}`) {
  const at = process.argv.indexOf('--main');
  const rules = process.argv.indexOf('--alarm-rules');
  await run_({ main: at > 0 ? process.argv[at + 1] : undefined, ...(rules > 0 && { alarmRules: Number(process.argv[rules + 1]) }) });
}
