// Exports (issue 17): 2,000,000 values (1,000,000 readings of voltage and current, one a second) of one
// meter, written straight into the server's SQLite database, then downloaded whole.
// (a) baseline: the same rows read page by page through GET /api/metrics (JSON, 10,000 values a page)
// (b) GET /api/exports/readings as CSV: rows/s, b/a in values/s, and the server's RSS growth over its idle size (bound: 50 MB)
// (c) the same as XLSX (exceljs streaming writer): rows/s and RSS growth
import http from 'node:http';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { api, startApi } from './api-server.mjs';

const require = createRequire(import.meta.url);
const T0 = Date.UTC(2026, 0, 5);
const MB = 1024 * 1024;
const rssOf = (pid) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) * 1024;

function seed(file, deviceId, readings) {
  const sqlite3 = require('sqlite3');
  const db = new sqlite3.Database(file);
  const numbers = `WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ${readings - 1}) SELECT i FROM n`;
  const sql = `PRAGMA busy_timeout = 10000; INSERT INTO measurements (device_id, metric, ts, value, source)
    SELECT ${deviceId}, 'voltage', ${T0} + i * 1000, 220 + (i % 100) / 10.0, 'api' FROM (${numbers}) AS s
    UNION ALL SELECT ${deviceId}, 'current', ${T0} + i * 1000, 1 + (i % 50) / 100.0, 'api' FROM (${numbers}) AS s`;
  return new Promise((resolve, reject) => db.exec(sql, (err) => (err ? reject(err) : db.close(resolve))));
}

/** Downloads a path at full speed, keeping only the byte and line counts, while sampling the server's RSS. */
function download(server, path) {
  return new Promise((resolve, reject) => {
    let peak = 0;
    const sampler = setInterval(() => (peak = Math.max(peak, rssOf(server.child.pid))), 50);
    const started = performance.now();
    http
      .get(server.url + path, { headers: { authorization: `Bearer ${server.token}` } }, (res) => {
        let bytes = 0;
        let lines = 0;
        res.on('data', (c) => {
          bytes += c.length;
          for (let i = c.indexOf(10); i !== -1; i = c.indexOf(10, i + 1)) lines++;
        });
        res.on('end', () => {
          clearInterval(sampler);
          resolve({ status: res.statusCode, bytes, lines, seconds: (performance.now() - started) / 1000, peak });
        });
      })
      .on('error', reject);
  });
}

export async function run({ print = true, readings = 1_000_000 } = {}) {
  const server = await startApi({ RETENTION_RAW_DAYS: '36500', QUERY_TIMEOUT_MS: '60000' });
  try {
    const client = await api(server, 'POST', '/api/clients', { name: 'Bench exports' });
    const device = await api(server, 'POST', '/api/devices', { clientId: client.id, name: 'Export meter', deviceType: 'api' });
    await seed(join(server.dataDir, 'app.db'), device.id, readings);
    const from = new Date(T0).toISOString();
    const to = new Date(T0 + (readings - 1) * 1000).toISOString();
    const path = (format) => `/api/exports/readings?deviceId=${device.id}&metrics=voltage,current&from=${from}&to=${to}&format=${format}`;

    // (a) the JSON pages a client would otherwise walk
    let values = 0;
    let cursor;
    const pagedStarted = performance.now();
    do {
      const page = await api(server, 'GET', `/api/metrics?deviceId=${device.id}&from=${from}&to=${to}&limit=10000${cursor ? `&cursor=${cursor}` : ''}`);
      values += page.items.length;
      cursor = page.nextCursor;
    } while (cursor);
    const pagedValuesPerSec = values / ((performance.now() - pagedStarted) / 1000);

    await download(server, `/api/exports/readings?deviceId=${device.id}&metrics=voltage,current&from=${from}&to=${new Date(T0 + 50_000_000).toISOString()}`); // warm-up
    await new Promise((r) => setTimeout(r, 500));
    const idle = rssOf(server.child.pid);
    const csv = await download(server, path('csv'));
    const xlsx = await download(server, path('xlsx'));
    const result = {
      values: 2 * readings,
      pagedJsonValuesPerSec: Math.round(pagedValuesPerSec),
      csvRowsPerSec: Math.round(readings / csv.seconds),
      csvVsPagedJson: +((2 * readings) / csv.seconds / pagedValuesPerSec).toFixed(2),
      csvRssGrowthMB: +((csv.peak - idle) / MB).toFixed(1),
      csvMB: +(csv.bytes / MB).toFixed(1),
      xlsxRowsPerSec: Math.round(readings / xlsx.seconds),
      xlsxRssGrowthMB: +((xlsx.peak - idle) / MB).toFixed(1),
      xlsxMB: +(xlsx.bytes / MB).toFixed(1),
    };
    if (csv.lines !== readings + 1) throw new Error(`the CSV export has ${csv.lines} lines, not ${readings + 1}`);
    if (print) {
      console.log(`\n== exports: ${result.values.toLocaleString('en')} values of one meter`);
      console.log(`(a) GET /api/metrics page by page (JSON): ${result.pagedJsonValuesPerSec.toLocaleString('en')} values/s`);
      console.log(
        `(b) CSV export: ${result.csvRowsPerSec.toLocaleString('en')} rows/s (${result.csvMB} MB), b/a ${result.csvVsPagedJson} in values/s; RSS +${result.csvRssGrowthMB} MB over idle (bound 50 MB)`,
      );
      console.log(
        `(c) XLSX export: ${result.xlsxRowsPerSec.toLocaleString('en')} rows/s (${result.xlsxMB} MB); RSS +${result.xlsxRssGrowthMB} MB over idle (bound 50 MB)`,
      );
    }
    return result;
  } finally {
    await server.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await run({ readings: Number(process.env.BENCH_EXPORT_READINGS ?? 1_000_000) });
