// Energy per day for a client with 100 devices over a month (issue 13).
// 100 meters whose energy counters are read every minute for 31 days (4,464,000 readings), stored over HTTP in time
// order as live meters would send them, so that the server keeps the energy per quarter as it merges the rollups.
// (a) baseline: one SQL SUM of the month's quarters of those devices, straight through sqlite3 on the same database
// (b) GET /api/energy?clientId&interval=day over the month: time (target: under 200 ms) and b/a
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { rmSync } from 'node:fs';
import { all, api, openReadOnly as open, startApi, timed } from './api-server.mjs';

const FROM = Date.UTC(2026, 9, 1);

/**
 * `ingestOnly`: stops after storing the readings and returns the ingest rate (to compare builds:
 * `node bench/energy.mjs --ingest-only --main <other build>/main.js`).
 */
export async function run({ print = true, devices: deviceCount = 100, everyMinutes = 1, days: DAYS = 31, ingestOnly = false, main } = {}) {
  const TO = FROM + DAYS * 86_400_000 - 1;
  // The month is in the past: retention must keep it.
  const server = await startApi({ RETENTION_RAW_DAYS: '36500', RETENTION_1M_DAYS: '36500' }, [], main ? { main } : {});
  try {
    const client = await api(server, 'POST', '/api/clients', { name: 'Bench energy' });
    const devices = [];
    for (let d = 0; d < deviceCount; d++)
      devices.push(
        (await api(server, 'POST', '/api/devices', { clientId: client.id, name: `Meter ${d + 1}`, deviceType: 'api', pollIntervalSec: 60 * everyMinutes })).id,
      );
    // Meter d counts (d + 1) Wh a minute.
    const minutes = (DAYS * 1440) / everyMinutes;
    const counter = (d, i) => 1000 + (d + 1) * i * everyMinutes;
    const perBatch = Math.max(1, Math.floor(1000 / deviceCount));
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: 2 }, async () => {
        while (next < minutes) {
          const first = next;
          next += perBatch;
          const batch = [];
          for (let i = first; i < Math.min(first + perBatch, minutes); i++) {
            for (let d = 0; d < deviceCount; d++)
              batch.push({ deviceId: devices[d], timestamp: FROM + i * everyMinutes * 60_000, metrics: { energy: counter(d, i) } });
          }
          await api(server, 'POST', '/api/ingest', { readings: batch });
        }
      }),
    );
    const ingestSeconds = (performance.now() - started) / 1000;
    const readings = minutes * deviceCount;
    if (ingestOnly) {
      const rate = Math.round(readings / ingestSeconds);
      if (print)
        console.log(`${readings.toLocaleString('en')} one-metric readings of ${deviceCount} devices stored at ${rate.toLocaleString('en')} values/s over HTTP`);
      return { readings, ingestValuesPerSec: rate };
    }
    // Every counted Wh: (d + 1) Wh a minute from the first reading to the last, summed over the meters.
    const expectedKWh = ((minutes - 1) * everyMinutes * deviceCount * (deviceCount + 1)) / 2 / 1000;

    const path = `/api/energy?clientId=${client.id}&interval=day&from=${FROM}&to=${TO}`;
    // The first read merges what is still pending.
    const first = await api(server, 'GET', path);
    if (first.intervals.length !== DAYS) throw new Error(`${first.intervals.length} day intervals, not ${DAYS}`);
    if (Math.abs(first.total.kWh - expectedKWh) > 1e-6 * expectedKWh) throw new Error(`total ${first.total.kWh} kWh, not ${expectedKWh}`);
    const energyMs = await timed(15, () => api(server, 'GET', path));

    const db = await open(join(server.dataDir, 'app.db'));
    const [{ n: quarters }] = await all(db, `SELECT COUNT(*) AS n FROM energy_quarters`);
    const sumMs = await timed(15, () =>
      all(db, `SELECT SUM(wh) AS wh FROM energy_quarters WHERE device_id IN (${devices.join(',')}) AND kind = 'import' AND quarter >= ? AND quarter < ?`, [
        FROM,
        TO + 1,
      ]),
    );
    await new Promise((r) => db.close(r));

    const result = {
      devices: deviceCount,
      readings,
      ingestValuesPerSec: Math.round(readings / ingestSeconds),
      quarters: Number(quarters),
      rawSumMs: +sumMs.toFixed(1),
      energyByDayMs: +energyMs.toFixed(1),
      ratio: +(energyMs / sumMs).toFixed(2),
    };
    if (print) {
      console.log(
        `\nEnergy per day for a client with ${deviceCount} devices over a month (SQLite, this machine): ${readings.toLocaleString('en')} counter readings (every ${everyMinutes} min), stored at ${result.ingestValuesPerSec.toLocaleString('en')} values/s over HTTP, ${result.quarters.toLocaleString('en')} quarters`,
      );
      console.log(`  (a) SQL SUM of the month's quarters (sqlite3)         ${result.rawSumMs} ms`);
      console.log(`  (b) GET /api/energy?clientId&interval=day, ${DAYS} days   ${result.energyByDayMs} ms   b/a = ${result.ratio} (target: under 200 ms)`);
    }
    return result;
  } finally {
    await server.stop();
    rmSync(server.dataDir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const at = process.argv.indexOf('--main');
  await run({
    main: at > 0 ? process.argv[at + 1] : undefined,
    ingestOnly: process.argv.includes('--ingest-only'),
    ...(process.argv.includes('--ingest-only') && { devices: 20, days: 7 }),
  });
}
