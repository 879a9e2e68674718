// Analytics (issue 18): a 365-day daily energy baseline with 3 drivers, and a virtual meter over a month of 1-minute buckets.
// Baseline: a meter's energy counter and a line's production, temperature and occupancy, read every hour for 365 days,
// with daily energy = 50 + 2 · production + 3 · CDD(22 °C) + 0.5 · mean occupancy exactly (the fit must give these back).
//   (a) the SQL reads the fit needs (the year's quarters of the meter and the drivers' hourly rollups), straight through sqlite3
//   (b) POST /api/analytics/baseline {interval: day, 3 drivers}: time (target: under 100 ms) and b/a
// Virtual meter: main − (a + b) over three meters' power read every minute for 31 days (44,640 buckets).
//   (a) the SQL reads of the three inputs' 1-minute rollups (sqlite3)
//   (b) GET /api/metrics/summary of the virtual meter over the month (every bucket evaluated): time (target: under 200 ms) and b/a
import { join } from 'node:path';
import { rmSync } from 'node:fs';
import { all, api, openReadOnly as open, startApi, timed } from './api-server.mjs';

const H = 3_600_000;
const DAY = 24 * H;
const FROM = Date.UTC(2025, 0, 6);

export async function run({ print = true, days: DAYS = 365, monthDays = 31 } = {}) {
  const server = await startApi({ RETENTION_RAW_DAYS: '36500', RETENTION_1M_DAYS: '36500', RETENTION_15M_DAYS: '36500', RETENTION_1H_DAYS: '36500' });
  try {
    const client = await api(server, 'POST', '/api/clients', { name: 'Bench analytics' });
    const device = async (name) => (await api(server, 'POST', '/api/devices', { clientId: client.id, name, deviceType: 'api', pollIntervalSec: 3600 })).id;
    const meter = await device('Main meter');
    const line = await device('Line');

    // Day d: production P, hourly temperature constant at T (so the daily mean is T), occupancy O.
    const P = (d) => 100 + ((d * 37) % 50);
    const T = (d) => 22 + 8 * Math.sin((2 * Math.PI * d) / 365) + ((d * 13) % 7) / 2;
    const O = (d) => 20 + ((d * 11) % 30);
    const kWh = (d) => 50 + 2 * P(d) + 3 * Math.max(0, T(d) - 22) + 0.5 * O(d);
    let wh = 0;
    const readings = [{ deviceId: meter, timestamp: FROM, metrics: { energy: 0 } }];
    for (let d = 0; d < DAYS; d++) {
      for (let h = 0; h < 24; h++) {
        const t = FROM + d * DAY + h * H;
        wh += (kWh(d) * 1000) / 24;
        readings.push({ deviceId: meter, timestamp: t + H, metrics: { energy: wh } });
        readings.push({ deviceId: line, timestamp: t + 30 * 60_000, metrics: { production: P(d) / 24, temperature: T(d), occupancy: O(d) } });
      }
    }
    for (let i = 0; i < readings.length; i += 5000) await api(server, 'POST', '/api/ingest', { readings: readings.slice(i, i + 5000) });
    const body = {
      deviceId: meter,
      from: new Date(FROM).toISOString(),
      to: new Date(FROM + DAYS * DAY - 1).toISOString(),
      interval: 'day',
      drivers: [
        { deviceId: line, metric: 'production', transform: 'sum' },
        { deviceId: line, metric: 'temperature', transform: 'cdd', base: 22 },
        { deviceId: line, metric: 'occupancy', transform: 'mean' },
      ],
    };
    const fit = await api(server, 'POST', '/api/analytics/baseline', body);
    const want = [50, 2, 3, 0.5];
    if (fit.n !== DAYS || fit.coefficients.some((c, i) => Math.abs(c.value - want[i]) > 1e-6))
      throw new Error(`fit gave n = ${fit.n}, ${fit.coefficients.map((c) => c.value).join(', ')}; want ${want.join(', ')}`);
    const baselineMs = await timed(15, () => api(server, 'POST', '/api/analytics/baseline', body));

    // Virtual meter: main 10 kW ± a wave, a 3 kW, b 4.5 kW, every minute for a month.
    const [main, a, b] = [await device('Main power'), await device('Sub A'), await device('Sub B')];
    const minutes = monthDays * 1440;
    const start = FROM;
    for (let i = 0; i < minutes; i += 1500) {
      const batch = [];
      for (let k = i; k < Math.min(i + 1500, minutes); k++) {
        const t = start + k * 60_000;
        batch.push(
          { deviceId: main, timestamp: t, metrics: { power: 10_000 + (k % 60) * 10 } },
          { deviceId: a, timestamp: t, metrics: { power: 3000 } },
          { deviceId: b, timestamp: t, metrics: { power: 4500 } },
        );
      }
      await api(server, 'POST', '/api/ingest', { readings: batch });
    }
    const virtual = (
      await api(server, 'POST', '/api/devices', {
        clientId: client.id,
        name: 'Unmetered',
        deviceType: 'virtual',
        config: { inputs: { main, a, b }, metrics: { power: 'main.power - (a.power + b.power)' } },
      })
    ).id;
    const path = `/api/metrics/summary?deviceId=${virtual}&metric=power&from=${start}&to=${start + minutes * 60_000 - 1}`;
    const summary = await api(server, 'GET', path);
    // Mean of 2,500 + 10 · (k mod 60): 2,500 + 295 = 2,795 W over whole hours.
    if (summary.count !== minutes || Math.abs(summary.mean - 2795) > 1e-6)
      throw new Error(`virtual summary ${summary.count} buckets, mean ${summary.mean}; want ${minutes}, 2795`);
    const virtualMs = await timed(15, () => api(server, 'GET', path));

    const db = await open(join(server.dataDir, 'app.db'));
    const hi = FROM + DAYS * DAY;
    const baselineSqlMs = await timed(15, async () => {
      await all(db, `SELECT quarter, wh FROM energy_quarters WHERE device_id = ? AND kind = 'import' AND quarter >= ? AND quarter < ?`, [meter, FROM, hi]);
      for (const metric of ['production', 'temperature', 'occupancy'])
        await all(
          db,
          `SELECT bucket, value_sum, value_count FROM rollups WHERE device_id = ? AND metric = ? AND bucket_ms = 3600000 AND bucket >= ? AND bucket < ?`,
          [line, metric, FROM, hi],
        );
    });
    const virtualSqlMs = await timed(15, async () => {
      for (const id of [main, a, b])
        await all(
          db,
          `SELECT bucket, value_sum, value_count FROM rollups WHERE device_id = ? AND metric = 'power' AND bucket_ms = 60000 AND bucket >= ? AND bucket < ?`,
          [id, start, start + minutes * 60_000],
        );
    });
    await new Promise((r) => db.close(r));
    const result = {
      baselineDays: DAYS,
      baselineSqlMs: +baselineSqlMs.toFixed(1),
      baselineMs: +baselineMs.toFixed(1),
      baselineRatio: +(baselineMs / baselineSqlMs).toFixed(2),
      virtualBuckets: minutes,
      virtualSqlMs: +virtualSqlMs.toFixed(1),
      virtualMs: +virtualMs.toFixed(1),
      virtualRatio: +(virtualMs / virtualSqlMs).toFixed(2),
    };
    if (print) {
      console.log(`\nAnalytics (SQLite, this machine)`);
      console.log(
        `  baseline, ${DAYS} days × 3 drivers: (a) SQL reads ${result.baselineSqlMs} ms   (b) POST /api/analytics/baseline ${result.baselineMs} ms   b/a = ${result.baselineRatio} (target: under 100 ms)`,
      );
      console.log(
        `  virtual meter, ${minutes.toLocaleString('en')} 1-minute buckets: (a) SQL reads ${result.virtualSqlMs} ms   (b) GET /api/metrics/summary ${result.virtualMs} ms   b/a = ${result.virtualRatio} (target: under 200 ms)`,
      );
    }
    return result;
  } finally {
    await server.stop();
    rmSync(server.dataDir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
