// Retention benchmark (issue 12, item 4), on SQLite and, with BENCH_PG_URL (e.g. postgres://postgres@127.0.0.1:5432), on PostgreSQL:
// (a) ingest latency while the retention job deletes 1M old values, against the same ingest with no deletion (baseline, same run)
// (b) the deletion rate (values deleted per second by the job, batches of 4,000 rows, one audit line each; on PostgreSQL
//     also with the old values in month partitions, dropped whole after their audit lines are written)
// (c) disk use of one meter (10 metrics every 10 s) for one day, per resolution: raw, 1-minute, 15-minute, 1-hour rollups
//     (the bytes the retention job records, by dbstat on SQLite and pg_total_relation_size on PostgreSQL; an empty
//     database's figures measured first are subtracted)
// Run alone: npm run build:api && node bench/retention.mjs [sqlite|postgres]
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { randomBytes } from 'node:crypto';
import { api, startApi } from './api-server.mjs';

const require = createRequire(import.meta.url);
const DAY = 86_400_000;
const METRICS = ['voltage', 'current', 'power', 'energy', 'frequency', 'powerFactor', 'voltageL1', 'voltageL2', 'voltageL3', 'currentL1'];
const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))];
const fmt = (ms) => `${ms.toFixed(1)} ms`;

async function pgDatabase(base) {
  const { Client } = require('pg');
  const name = `pieng_bench_${process.pid}_${Date.now().toString(36)}`;
  const admin = new Client({ connectionString: `${base}/postgres` });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  return {
    url: `${base}/${name}`,
    async drop() {
      const c = new Client({ connectionString: `${base}/postgres` });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

async function serverFor(engine, env = {}) {
  if (engine === 'sqlite') return { server: await startApi(env), dbUrl: undefined, drop: async () => undefined };
  const pg = await pgDatabase(process.env.BENCH_PG_URL);
  const server = await startApi({ DATABASE_URL: pg.url, SECRETS_KEY: randomBytes(32).toString('base64'), ...env });
  return { server, dbUrl: pg.url, drop: () => pg.drop() };
}

async function meter(server, name) {
  const client = await api(server, 'POST', '/api/clients', { name: `Client ${name}` });
  const device = await api(server, 'POST', '/api/devices', { clientId: client.id, name, deviceType: 'api' });
  return device.id;
}

/** One meter's readings every 10 s from `start`, `count` of them, 1,000 readings (10,000 values) per request. */
async function ingestDay(server, deviceId, start, count) {
  for (let done = 0; done < count; done += 1000) {
    const readings = [];
    for (let i = done; i < Math.min(count, done + 1000); i++) {
      const metrics = {};
      for (const [k, m] of METRICS.entries()) metrics[m] = 230 + k + Math.round(Math.random() * 1000) / 100;
      readings.push({ deviceId, timestamp: start + i * 10_000, metrics });
    }
    await api(server, 'POST', '/api/ingest', { readings });
  }
}

/** A plant's live ingest: every 100 ms a batch of 10 readings × 10 metrics of the live meter; the latency of each request. */
async function liveIngest(server, deviceId, until) {
  const latencies = [];
  let ts = Date.now() - 60_000;
  while (!(await until())) {
    const readings = Array.from({ length: 10 }, () => {
      ts += 1;
      return { deviceId, timestamp: ts, metrics: Object.fromEntries(METRICS.map((m, k) => [m, 230 + k])) };
    });
    const started = performance.now();
    await api(server, 'POST', '/api/ingest', { readings });
    latencies.push(performance.now() - started);
    await new Promise((r) => setTimeout(r, 100));
  }
  return latencies;
}

/** PostgreSQL: the month partitions the old readings fall in, as a server running for months would have (else they sit in the default partition). */
async function monthPartitions(dbUrl, from, to) {
  const { Client } = require('pg');
  const c = new Client({ connectionString: dbUrl });
  await c.connect();
  for (
    let d = new Date(Date.UTC(new Date(from).getUTCFullYear(), new Date(from).getUTCMonth(), 1));
    d.getTime() < to;
    d = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1))
  ) {
    const end = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
    const name = `measurements_p${d.getUTCFullYear()}${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
    await c.query(`CREATE TABLE IF NOT EXISTS ${name} PARTITION OF measurements FOR VALUES FROM (${d.getTime()}) TO (${end})`);
  }
  await c.end();
}

async function deletionUnderLoad(engine, { partitioned = false } = {}) {
  const { server, dbUrl, drop } = await serverFor(engine, { RETENTION_RAW_DAYS: '90' });
  try {
    const old = await meter(server, 'Old meter');
    const live = await meter(server, 'Live meter');
    // 100,000 readings of 10 metrics (1M values, 11.6 days) starting 130 days ago: all past the 90-day retention.
    const start = Math.floor((Date.now() - 130 * DAY) / DAY) * DAY;
    if (partitioned) await monthPartitions(dbUrl, start, start + 100_000 * 10_000);
    const seeding = performance.now();
    await ingestDay(server, old, start, 100_000);
    console.log(`  seeded 1,000,000 old values in ${((performance.now() - seeding) / 1000).toFixed(1)} s`);

    const baselineEnd = performance.now() + 8000;
    const baseline = await liveIngest(server, live, async () => performance.now() > baselineEnd);

    let done = false;
    const runStarted = performance.now();
    const run = api(server, 'POST', '/api/retention/run').then((r) => {
      done = true;
      return r;
    });
    const during = await liveIngest(server, live, async () => done);
    const report = await run;
    const seconds = (performance.now() - runStarted) / 1000;
    const rate = report.deleted.raw / seconds;
    console.log(
      `  retention run: ${report.deleted.raw.toLocaleString('en')} values deleted in ${seconds.toFixed(1)} s: ${Math.round(rate).toLocaleString('en')} values/s${report.partitionsDropped.length ? ` (partitions dropped: ${report.partitionsDropped.join(', ')})` : ''}`,
    );
    const line = (what, xs) =>
      `  ${what}: ${xs.length} requests of 100 values, p50 ${fmt(pct(xs, 50))}, p95 ${fmt(pct(xs, 95))}, p99 ${fmt(pct(xs, 99))}, max ${fmt(Math.max(...xs))}`;
    console.log(line('ingest, no deletion (baseline)', baseline));
    console.log(line('ingest during the deletion   ', during));
    console.log(`  ratio during/baseline: p50 ${(pct(during, 50) / pct(baseline, 50)).toFixed(2)}, p99 ${(pct(during, 99) / pct(baseline, 99)).toFixed(2)}`);
    return {
      deleted: report.deleted.raw,
      seconds,
      valuesPerSecond: Math.round(rate),
      baseline: { p50: pct(baseline, 50), p95: pct(baseline, 95), p99: pct(baseline, 99), max: Math.max(...baseline) },
      during: { p50: pct(during, 50), p95: pct(during, 95), p99: pct(during, 99), max: Math.max(...during) },
    };
  } finally {
    await server.stop();
    await drop();
  }
}

/** Rollup rows of one meter for the day, as the ingest's rollups keep them (only where this build's ingest did not write them). */
async function rollupsOfTheDay(engine, server, dbUrl, deviceId, dayStart) {
  const rows = [];
  for (const bucketMs of [60_000, 900_000, 3_600_000]) {
    for (let bucket = dayStart; bucket < dayStart + DAY; bucket += bucketMs) {
      for (const m of METRICS) {
        const n = bucketMs / 10_000;
        const v = 230 + Math.random();
        rows.push([
          deviceId,
          m,
          bucketMs,
          bucket,
          n,
          v * n,
          v - 0.5,
          v + 0.5,
          v,
          Math.random(),
          bucket + bucketMs / 2 - 5_000,
          Math.random() * 1e12,
          Math.random(),
          bucket,
          v,
          bucket + bucketMs - 10_000,
          v,
        ]);
      }
    }
  }
  const sql = (placeholders) =>
    `INSERT INTO rollups (device_id, metric, bucket_ms, bucket, value_count, value_sum, value_min, value_max, value_mean, value_m2, ts_mean, ts_m2, ts_value_c, first_ts, first_value, last_ts, last_value) VALUES ${placeholders} ON CONFLICT DO NOTHING`;
  if (engine === 'sqlite') {
    const sqlite3 = require('sqlite3');
    const db = await new Promise((ok, fail) => {
      const c = new sqlite3.Database(`${server.dataDir}/app.db`, (e) => (e ? fail(e) : ok(c)));
    });
    db.configure('busyTimeout', 10_000);
    const run = (text, params) => new Promise((ok, fail) => db.run(text, params, (e) => (e ? fail(e) : ok())));
    for (let i = 0; i < rows.length; i += 500) {
      const chunk = rows.slice(i, i + 500);
      await run(sql(chunk.map(() => '(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)').join(',')), chunk.flat());
    }
    await new Promise((ok) => db.close(ok));
  } else {
    const { Client } = require('pg');
    const c = new Client({ connectionString: dbUrl });
    await c.connect();
    for (let i = 0; i < rows.length; i += 500) {
      const chunk = rows.slice(i, i + 500);
      let n = 0;
      await c.query(sql(chunk.map(() => `(${Array.from({ length: 17 }, () => `$${++n}`).join(',')})`).join(',')), chunk.flat());
    }
    await c.end();
  }
}

export async function diskPerMeterDay(engine) {
  const { server, dbUrl, drop } = await serverFor(engine);
  try {
    const deviceId = await meter(server, 'Sized meter');
    const figures = async () => {
      await api(server, 'POST', '/api/retention/run');
      const status = await api(server, 'GET', '/api/retention/status');
      return Object.fromEntries(status.resolutions.map((r) => [r.resolution, { rows: r.rows, bytes: r.bytes, by: r.bytesMeasuredBy }]));
    };
    const empty = await figures();
    const dayStart = Math.floor((Date.now() - 2 * DAY) / DAY) * DAY;
    await ingestDay(server, deviceId, dayStart, 8640);
    // A statistic of the device merges its pending rollup sums first, so that the figures count the day's rollups whole.
    await api(server, 'GET', `/api/metrics/summary?deviceId=${deviceId}&metric=voltage`);
    const afterIngest = await figures();
    if (afterIngest['1m'].rows === 0) await rollupsOfTheDay(engine, server, dbUrl, deviceId, dayStart);
    const day = await figures();
    const out = {};
    for (const r of ['raw', '1m', '15m', '1h']) {
      out[r] = { rows: day[r].rows - empty[r].rows, bytes: day[r].bytes - empty[r].bytes, measuredBy: day[r].by };
      console.log(
        `  ${r.padEnd(3)}: ${out[r].rows.toLocaleString('en').padStart(7)} rows, ${(out[r].bytes / 1024).toFixed(0).padStart(6)} KB per meter and day (${(out[r].bytes / Math.max(1, out[r].rows)).toFixed(1)} bytes/row, ${out[r].measuredBy})`,
      );
    }
    return out;
  } finally {
    await server.stop();
    await drop();
  }
}

export async function run(engines = process.env.BENCH_PG_URL ? ['sqlite', 'postgres'] : ['sqlite']) {
  const results = {};
  for (const engine of engines) {
    console.log(`\n== retention on ${engine}: ingest while 1M old values are deleted`);
    const deletion = await deletionUnderLoad(engine);
    let partitionDrop;
    if (engine === 'postgres') {
      console.log(`== retention on postgres: the same 1M values in month partitions, dropped whole`);
      partitionDrop = await deletionUnderLoad(engine, { partitioned: true });
    }
    console.log(`== retention on ${engine}: disk use of one meter (10 metrics every 10 s) for one day`);
    results[engine] = { deletion, ...(partitionDrop && { partitionDrop }), diskPerMeterDay: await diskPerMeterDay(engine) };
  }
  return results;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const only = process.argv[2];
  const results = await run(only ? [only] : undefined);
  console.log('\nJSON:', JSON.stringify(results));
}
