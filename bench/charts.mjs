// Charts and statistics over a year (issue: time-series store).
// One meter's power read every 31.5 s for a year: 1,000,000 readings, stored over HTTP.
// (a) baseline: one raw GROUP BY into 500 buckets over those rows, straight through sqlite3 on the same database
// (b) GET /api/metrics/series, 500 points over the year (rollups): time and b/a (target <= 0.25, moonshot 0.1; under 50 ms)
// (c) baseline: the raw aggregate a summary needs (count, shifted sums, min, max) over those rows
// (d) GET /api/metrics/summary over the year: time and d/c (target <= 0.25)
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { rmSync } from 'node:fs';
import { all, api, openReadOnly as open, startApi, timed } from './api-server.mjs';

const FROM = Date.UTC(2025, 0, 1);
const TO = Date.UTC(2026, 0, 1) - 1;

export async function run({ print = true, readings = 1_000_000, main } = {}) {
  const server = await startApi({}, [], main ? { main } : {});
  try {
    const client = await api(server, 'POST', '/api/clients', { name: 'Bench charts' });
    const device = await api(server, 'POST', '/api/devices', { clientId: client.id, name: 'Year meter', deviceType: 'api' });
    const every = (TO - FROM) / readings;
    const valueAt = (i) => +(5000 + 3000 * Math.sin((i / readings) * 2 * Math.PI * 365) + (i % 97)).toFixed(1);
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: 2 }, async () => {
        while (next < readings) {
          const first = next;
          next += 1000;
          const batch = [];
          for (let i = first; i < Math.min(first + 1000, readings); i++)
            batch.push({ deviceId: device.id, timestamp: FROM + Math.floor(i * every), metrics: { power: valueAt(i) } });
          await api(server, 'POST', '/api/ingest', { readings: batch });
        }
      }),
    );
    const ingestSeconds = (performance.now() - started) / 1000;

    const db = await open(join(server.dataDir, 'app.db'));
    const bucket = Math.ceil((TO - FROM + 1) / 500);
    const rawGroupMs = await timed(7, () =>
      all(
        db,
        `SELECT (ts - ${FROM}) / ${bucket} AS b, AVG(value), MIN(value), MAX(value), COUNT(*) FROM measurements WHERE device_id = ? AND metric = 'power' AND ts >= ? AND ts <= ? GROUP BY b`,
        [device.id, FROM, TO],
      ),
    );
    let points = 0;
    const seriesMs = await timed(15, async () => {
      const s = await api(server, 'GET', `/api/metrics/series?deviceId=${device.id}&metrics=power&from=${FROM}&to=${TO}&points=500`);
      points = s.series[0].points.length;
      if (s.series[0].points.reduce((a, p) => a + p.count, 0) !== readings) throw new Error('the chart does not count every reading');
    });
    const rawAggregateMs = await timed(7, () =>
      all(
        db,
        `SELECT COUNT(*) n, SUM(value - 5000) s1, SUM((value - 5000) * (value - 5000)) s2, MIN(value), MAX(value) FROM measurements WHERE device_id = ? AND metric = 'power' AND ts >= ? AND ts <= ?`,
        [device.id, FROM, TO],
      ),
    );
    const summaryMs = await timed(15, async () => {
      const s = await api(server, 'GET', `/api/metrics/summary?deviceId=${device.id}&metric=power&from=${FROM}&to=${TO}`);
      if (s.count !== readings) throw new Error(`summary counted ${s.count}`);
    });
    await new Promise((r) => db.close(r));

    const result = {
      readings,
      ingestValuesPerSec: Math.round(readings / ingestSeconds),
      rawGroupByMs: +rawGroupMs.toFixed(1),
      seriesMs: +seriesMs.toFixed(1),
      seriesPoints: points,
      seriesRatio: +(seriesMs / rawGroupMs).toFixed(3),
      rawAggregateMs: +rawAggregateMs.toFixed(1),
      summaryMs: +summaryMs.toFixed(1),
      summaryRatio: +(summaryMs / rawAggregateMs).toFixed(3),
    };
    if (print) {
      console.log(
        `\nCharts and statistics over a year (SQLite, this machine): ${readings.toLocaleString('en')} readings of one meter, stored at ${result.ingestValuesPerSec.toLocaleString('en')} values/s over HTTP`,
      );
      console.log(`  (a) raw GROUP BY into 500 buckets (sqlite3)  ${result.rawGroupByMs} ms`);
      console.log(
        `  (b) GET /api/metrics/series, 500 points       ${result.seriesMs} ms (${points} day buckets)   b/a = ${result.seriesRatio} (target <= 0.25, moonshot 0.1; under 50 ms)`,
      );
      console.log(`  (c) raw aggregate of a summary (sqlite3)      ${result.rawAggregateMs} ms`);
      console.log(`  (d) GET /api/metrics/summary over the year    ${result.summaryMs} ms   d/c = ${result.summaryRatio} (target <= 0.25)`);
    }
    return result;
  } finally {
    await server.stop();
    rmSync(server.dataDir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const at = process.argv.indexOf('--main');
  await run({ main: at > 0 ? process.argv[at + 1] : undefined });
}
