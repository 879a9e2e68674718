import { Database } from '../database/database.service';
import { DAY_MS } from '../common/time-zones';
import { RollupStore, summarizeSeries } from './rollup-store';

export interface RebuildReport {
  devices: number;
  values: number;
  buckets: number;
  /** Days whose rollups were kept because raw readings of them are gone (retention). */
  daysKept: number;
  /** True when stop() ended the run before the end. */
  stopped: boolean;
}

/** Values read per transaction, about: a chunk of days grows or shrinks towards it. */
const TARGET_VALUES_PER_CHUNK = 100_000;
const MAX_DAYS_PER_CHUNK = 64;

/**
 * Rebuilds rollups from the raw readings that remain, one device, metric and run of whole UTC days
 * at a time: each run's buckets are deleted and summed again from its raw rows in one transaction,
 * so readings stored meanwhile are counted exactly once (on SQLite writes take turns; on PostgreSQL
 * the run holds a SHARE lock on measurements, which lets reads through and makes inserts wait for
 * its commit). Days before the oldest raw reading are not touched, and neither is the first day with
 * raw readings when its rollups know of older values of that day: retention deleted them, and the
 * rollups are all that is left of them.
 */
export class RollupRebuild {
  private stopping = false;

  constructor(
    private readonly db: Database,
    private readonly store: RollupStore,
    private readonly progress: (line: string) => void = () => undefined,
  ) {}

  /** Ends the run after the transaction under way (a server shutting down). */
  stop(): void {
    this.stopping = true;
  }

  async run(deviceId?: number): Promise<RebuildReport> {
    const devices = await this.db.query<{ id: number; name: string }>(
      `SELECT id, name FROM devices${deviceId === undefined ? '' : ' WHERE id = ?'} ORDER BY id`,
      deviceId === undefined ? [] : [deviceId],
    );
    if (deviceId !== undefined && devices.length === 0) throw new Error(`Device ${deviceId} not found`);
    const report: RebuildReport = { devices: 0, values: 0, buckets: 0, daysKept: 0, stopped: false };
    let lastProgress = 0;
    for (const [i, device] of devices.entries()) {
      const metrics = await this.db.query<{ metric: string; lo: number | string; hi: number | string; n: number | string }>(
        'SELECT metric, MIN(ts) AS lo, MAX(ts) AS hi, COUNT(*) AS n FROM measurements WHERE device_id = ? GROUP BY metric ORDER BY metric',
        [device.id],
      );
      const total = metrics.reduce((a, m) => a + Number(m.n), 0);
      let done = 0;
      for (const m of metrics) {
        let day = Number(m.lo) - (Number(m.lo) % DAY_MS);
        if (await this.knowsOlderValues(device.id, m.metric, day, Number(m.lo))) {
          day += DAY_MS;
          report.daysKept++;
        }
        const end = Number(m.hi) - (Number(m.hi) % DAY_MS) + DAY_MS;
        let days = 1;
        while (day < end && !this.stopping) {
          const until = Math.min(end, day + days * DAY_MS);
          const { values, buckets } = await this.rebuildRun(device.id, m.metric, day, until);
          done += values;
          report.values += values;
          report.buckets += buckets;
          day = until;
          // Aim at TARGET_VALUES_PER_CHUNK values per transaction: short enough not to hold up ingest, long enough to go fast.
          if (values < TARGET_VALUES_PER_CHUNK / 2) days = Math.min(MAX_DAYS_PER_CHUNK, days * 2);
          else if (values > TARGET_VALUES_PER_CHUNK * 2) days = Math.max(1, Math.floor(days / 2));
          if (Date.now() - lastProgress >= 1000) {
            lastProgress = Date.now();
            this.progress(
              `rollups-rebuild: device ${device.id} (${device.name}) ${i + 1}/${devices.length}: ${m.metric} up to ${new Date(day).toISOString().slice(0, 10)}, ${done.toLocaleString('en')} of ${total.toLocaleString('en')} values`,
            );
          }
        }
      }
      if (this.stopping) return { ...report, stopped: true };
      // Energy per quarter is computed from the 1-minute rollups just rebuilt (quarters older than them are kept).
      await this.store.energy.rebuildDevice(device.id);
      report.devices++;
      this.progress(
        `rollups-rebuild: device ${device.id} (${device.name}) ${i + 1}/${devices.length} done: ${total.toLocaleString('en')} values in ${metrics.length} metric(s)`,
      );
    }
    return report;
  }

  private async knowsOlderValues(deviceId: number, metric: string, day: number, oldestRaw: number): Promise<boolean> {
    const [row] = await this.db.query<{ first: number | string | null }>(
      'SELECT MIN(first_ts) AS first FROM rollups WHERE device_id = ? AND metric = ? AND bucket_ms = 3600000 AND bucket >= ? AND bucket < ?',
      [deviceId, metric, day, day + DAY_MS],
    );
    return row?.first !== null && row?.first !== undefined && Number(row.first) < oldestRaw;
  }

  private rebuildRun(deviceId: number, metric: string, from: number, until: number): Promise<{ values: number; buckets: number }> {
    return this.db.transaction(async (m) => {
      if (this.db.kind === 'postgres') await m.query('LOCK TABLE measurements IN SHARE MODE');
      // The raw rows hold what is pending for the range: counted once, from them.
      await this.store.dropPending(m, deviceId, metric, from, until);
      await this.db.execute(
        'DELETE FROM rollups WHERE device_id = ? AND metric = ? AND bucket_ms IN (60000, 900000, 3600000) AND bucket >= ? AND bucket < ?',
        [deviceId, metric, from, until],
        m,
      );
      const rows = await this.db.query<{ ts: number | string; value: number }>(
        'SELECT ts, value FROM measurements WHERE device_id = ? AND metric = ? AND ts >= ? AND ts < ?',
        [deviceId, metric, from, until],
        m,
      );
      const buckets = summarizeSeries(deviceId, metric, rows);
      await this.store.merge(m, buckets);
      return { values: rows.length, buckets: buckets.length };
    });
  }
}
