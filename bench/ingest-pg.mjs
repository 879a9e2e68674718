// Ingest on PostgreSQL (issue 12, item 6), on a fresh database this benchmark creates and drops.
// Runs when BENCH_PG is set (a server URL without a database name, e.g. postgres://postgres@127.0.0.1:5432,
// or `1` for that default): `BENCH_PG=1 npm run bench`, or `node bench/ingest-pg.mjs` alone (after npm run build:api).
// Baselines, straight through the `pg` driver into a copy of the server's migrated measurements table, a
// commit per 1,000 rows, best of 3 runs of 200k rows (between the HTTP runs):
//   (a) one INSERT … SELECT FROM unnest($1::int[], $2::text[], $3::bigint[], $4::float8[]) per 1,000 rows
//   (b) 500-row multi-VALUES INSERTs, every value bound (2 per commit)
//   (c) COPY … FROM STDIN, 1,000 rows per COPY
// (d) POST /api/ingest on the server running on such a database, 50 readings x 10 metrics per request, 4 clients,
//     1M values: values/s (best of 2) and d/a; the server's peak RSS (VmHWM).
// (e) the same with the live notifications to other instances switched off (LIVE_ACROSS_INSTANCES=false): what they cost.
import { createRequire } from 'node:module';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { api, benchPgServer, createBenchDatabase, startApi } from './api-server.mjs';
import { createAlarmRules, ingestBodies, METRICS, peakRss, T0 } from './ingest.mjs';

const require = createRequire(import.meta.url);
const { Client } = require('pg');

const ROWS = 200_000;

/** The rows of the baselines: one device, ten metrics per instant, one instant a second. */
function* rowBlocks(deviceId, rowsPerBlock, total) {
  let ts = T0;
  for (let done = 0; done < total; done += rowsPerBlock) {
    const block = [];
    for (let i = 0; i < rowsPerBlock; i += METRICS.length, ts += 1000) for (const m of METRICS) block.push([deviceId, m, ts, 230 + Math.random()]);
    yield block;
  }
}

/**
 * COPY … FROM STDIN through the `pg` client's submittable interface (the client hands the connection to
 * the object it is given): the rows go as one CopyData message, then CopyDone.
 */
class CopyIn {
  constructor(sql, data) {
    this.text = sql;
    this.data = data;
    this.promise = new Promise((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    this.error = undefined;
  }
  submit(connection) {
    connection.query(this.text);
  }
  handleCopyInResponse(connection) {
    connection.sendCopyFromChunk(this.data);
    connection.endCopyFrom();
  }
  handleCommandComplete(msg) {
    this.rowCount = msg.rowCount;
  }
  handleError(err) {
    this.error = err;
  }
  handleReadyForQuery() {
    if (this.error) this.reject(this.error);
    else this.resolve();
  }
}

async function baseline(url, kind) {
  const c = new Client({ connectionString: url });
  await c.connect();
  await c.query('DROP TABLE IF EXISTS bench_raw');
  // The server's own table definition (key and column types) without its rows.
  await c.query('CREATE TABLE bench_raw (LIKE measurements INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING INDEXES)');
  const started = performance.now();
  if (kind === 'unnest') {
    const sql =
      "INSERT INTO bench_raw (device_id, metric, ts, value, source) SELECT d, m, t, v, 'api' FROM unnest($1::int[], $2::text[], $3::bigint[], $4::float8[]) AS u(d, m, t, v)";
    for (const block of rowBlocks(1, 1000, ROWS)) {
      await c.query(sql, [block.map((r) => r[0]), block.map((r) => r[1]), block.map((r) => r[2]), block.map((r) => r[3])]);
    }
  } else if (kind === 'values') {
    const perStatement = 500;
    const sql = `INSERT INTO bench_raw (device_id, metric, ts, value, source) VALUES ${Array.from({ length: perStatement }, (_, i) => `($${5 * i + 1},$${5 * i + 2},$${5 * i + 3},$${5 * i + 4},$${5 * i + 5})`).join(',')}`;
    for (const block of rowBlocks(1, 1000, ROWS)) {
      await c.query('BEGIN');
      for (let s = 0; s < block.length; s += perStatement) {
        const params = [];
        for (const r of block.slice(s, s + perStatement)) params.push(r[0], r[1], r[2], r[3], 'api');
        await c.query(sql, params);
      }
      await c.query('COMMIT');
    }
  } else {
    for (const block of rowBlocks(1, 1000, ROWS)) {
      let text = '';
      for (const r of block) text += `${r[0]}\t${r[1]}\t${r[2]}\t${r[3]}\tapi\n`;
      const copy = new CopyIn('COPY bench_raw (device_id, metric, ts, value, source) FROM STDIN', Buffer.from(text));
      c.query(copy);
      await copy.promise;
    }
  }
  const seconds = (performance.now() - started) / 1000;
  const { rows } = await c.query('SELECT count(*)::int AS n FROM bench_raw');
  if (rows[0].n !== ROWS) throw new Error(`${kind} baseline stored ${rows[0].n} rows, not ${ROWS}`);
  await c.query('DROP TABLE bench_raw');
  await c.end();
  return ROWS / seconds;
}

/** HTTP ingest of `readings` readings (x10 values) on a server started on `url`; values/s, peak RSS, and what was answered. */
async function httpIngest(url, { readings, concurrency, env = {}, main }) {
  const server = await startApi({ DATABASE_URL: url, SECRETS_KEY: randomBytes(32).toString('base64'), ...env }, [], main ? { main } : {});
  try {
    const client = await api(server, 'POST', '/api/clients', { name: `Bench ${Date.now()}` });
    const device = await api(server, 'POST', '/api/devices', { clientId: client.id, name: 'Bench meter', deviceType: 'api' });
    // 50 alarm rules on the client, as in ingest.mjs (issue 15).
    await createAlarmRules(server, client.id, 50);
    const bodies = ingestBodies(device.id, readings, 50);
    let next = 0;
    let stored = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < bodies.length) {
          const answer = await api(server, 'POST', '/api/ingest', bodies[next++]);
          stored += answer.stored;
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    if (stored !== readings * METRICS.length) throw new Error(`HTTP ingest stored ${stored} values, not ${readings * METRICS.length}`);
    // The same batch again: every value a duplicate, none stored twice.
    const again = await api(server, 'POST', '/api/ingest', bodies[0]);
    if (again.stored !== 0 || again.duplicates !== 500) throw new Error(`a repeated batch answered ${JSON.stringify(again)}`);
    return { valuesPerSec: (readings * METRICS.length) / seconds, peakRssMiB: peakRss(server.child.pid) };
  } finally {
    await server.stop();
    rmSync(server.dataDir, { recursive: true, force: true });
  }
}

export async function run({ print = true, readings = 100_000, concurrency = 4, main, server = benchPgServer() ?? 'postgres://postgres@127.0.0.1:5432' } = {}) {
  // Each HTTP run on a database of its own (an empty table, as for the baselines); with and without the
  // notifications taken in turns, twice, so that both meet the same moments of a shared machine.
  const http = { on: [], off: [] };
  const runs = { unnest: [], values: [], copy: [] };
  for (let round = 0; round < 2; round++) {
    for (const notify of ['on', 'off']) {
      const db = await createBenchDatabase(server);
      try {
        http[notify].push(await httpIngest(db.url, { readings, concurrency, main, env: notify === 'off' ? { LIVE_ACROSS_INSTANCES: 'false' } : {} }));
        // The baselines copy the table of the database the server migrated.
        if (notify === 'on') for (const kind of Object.keys(runs)) runs[kind].push(await baseline(db.url, kind));
      } finally {
        await db.drop();
      }
    }
  }
  const db = await createBenchDatabase(server);
  try {
    await httpIngest(db.url, { readings: 50, concurrency: 1, main });
    for (const kind of Object.keys(runs)) runs[kind].push(await baseline(db.url, kind));
  } finally {
    await db.drop();
  }
  const best = (xs) => Math.max(...xs);
  const bestHttp = (xs) => xs.reduce((a, b) => (b.valuesPerSec > a.valuesPerSec ? b : a));
  const on = bestHttp(http.on);
  const off = bestHttp(http.off);
  const result = {
    unnestRuns: runs.unnest.map(Math.round),
    unnestRowsPerSec: Math.round(best(runs.unnest)),
    valuesRowsPerSec: Math.round(best(runs.values)),
    copyRowsPerSec: Math.round(best(runs.copy)),
    httpRuns: http.on.map((r) => Math.round(r.valuesPerSec)),
    httpValuesPerSec: Math.round(on.valuesPerSec),
    ingestRatio: +(on.valuesPerSec / best(runs.unnest)).toFixed(2),
    httpWithoutNotifyRuns: http.off.map((r) => Math.round(r.valuesPerSec)),
    httpWithoutNotifyValuesPerSec: Math.round(off.valuesPerSec),
    notifyCost: +(1 - on.valuesPerSec / off.valuesPerSec).toFixed(3),
    peakRssMiB: Math.round(Math.max(...[...http.on, ...http.off].map((r) => r.peakRssMiB))),
  };
  if (print) {
    const k = (xs) => xs.map((r) => Math.round(r / 1000) + 'k').join(', ');
    console.log('\nIngest on PostgreSQL (this machine, a fresh database per run)');
    console.log(`  (a) pg: INSERT … SELECT FROM unnest, 1,000 rows each  ${result.unnestRowsPerSec.toLocaleString('en')} rows/s (best of ${k(runs.unnest)})`);
    console.log(`  (b) pg: 500-row multi-VALUES INSERTs                 ${result.valuesRowsPerSec.toLocaleString('en')} rows/s (best of ${k(runs.values)})`);
    console.log(`  (c) pg: COPY FROM STDIN, 1,000 rows each             ${result.copyRowsPerSec.toLocaleString('en')} rows/s (best of ${k(runs.copy)})`);
    console.log(
      `  (d) POST /api/ingest, ${concurrency} clients, 500 values/request  ${result.httpValuesPerSec.toLocaleString('en')} values/s (best of ${k(result.httpRuns)})   d/a = ${result.ingestRatio} (target >= 0.5); server peak RSS ${result.peakRssMiB} MiB`,
    );
    console.log(
      `  (e) the same without live notifications to other instances  ${result.httpWithoutNotifyValuesPerSec.toLocaleString('en')} values/s (best of ${k(result.httpWithoutNotifyRuns)}): the notifications cost ${(result.notifyCost * 100).toFixed(1)} %`,
    );
  }
  return result;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const at = process.argv.indexOf('--main');
  await run({ main: at > 0 ? process.argv[at + 1] : undefined });
}
