import type { EntityManager } from 'typeorm';
import { Database } from '../database/database.service';
import {
  ChainState,
  counterQuarters,
  DEFAULT_MAX_POWER_W,
  EnergySettings,
  powerQuarters,
  QUARTER_MS,
  quarterOf,
  QuarterResult,
  ReadingBucket,
} from './energy-counter';

export type EnergyKind = 'import' | 'export';

/** A merged 1-minute bucket, as far as energy cares. */
export interface TouchedMinute {
  deviceId: number;
  metric: string;
  bucket: number;
}

/**
 * The metrics energy is computed from, in order of preference: import from the `importEnergy` counter
 * (Eastron SDM: its `energy` is import + export, which would count what a solar plant exports as used),
 * else from the `energy` counter, else from `power`; export from `exportEnergy`.
 */
export const IMPORT_SOURCE_METRICS = ['importEnergy', 'energy', 'power'] as const;
export const ENERGY_SOURCE_METRICS = [...IMPORT_SOURCE_METRICS, 'exportEnergy'] as const;

/** Drivers whose energy counter is a uint32 Wh register (PZEM-004T and PZEM-017: registers 0x0005/0x0006). */
const UINT32_WH_DRIVERS = new Set(['pzem004t', 'pzem017']);

/** 1-minute buckets read per query while recomputing a long range. */
const BUCKETS_PER_READ = 20_000;
/** Quarters per insert statement: 15 values each. */
const QUARTERS_PER_STATEMENT = 400;

/**
 * Keeps `energy_quarters` (energy per device and 15-minute quarter) in step with the 1-minute
 * rollups: after RollupStore merges buckets of a source metric, the device's quarters are computed
 * again from the earliest quarter the merged minutes can change to the end of its rollups, starting
 * from the chain state stored before them, in the transaction that merged them (so a chart or an
 * energy read after RollupStore.flushDevice sees them). A reading appended after the last one
 * restarts from the newest quarter's own state: only that quarter is written again.
 */
export class EnergyQuarters {
  constructor(private readonly db: Database) {}

  /** Called by RollupStore in the transaction that merged these 1-minute buckets. */
  async afterMerge(m: EntityManager, minutes: TouchedMinute[]): Promise<void> {
    const earliest = new Map<string, TouchedMinute>();
    for (const t of minutes) {
      if (!(ENERGY_SOURCE_METRICS as readonly string[]).includes(t.metric)) continue;
      const key = `${t.deviceId}|${t.metric}`;
      const seen = earliest.get(key);
      if (!seen || t.bucket < seen.bucket) earliest.set(key, t);
    }
    if (!earliest.size) return;
    const devices = [...new Set([...earliest.values()].map((t) => t.deviceId))].sort((a, b) => a - b);
    // PostgreSQL: two instances merging minutes of one device take turns here, so the second reads the first's rollups
    // (NO KEY UPDATE: the ingest's inserts, which share-lock the device's key, go on meanwhile).
    const lock = this.db.kind === 'postgres' ? ' ORDER BY id FOR NO KEY UPDATE' : '';
    const rows = await this.db.query<DeviceRow>(
      `SELECT id, poll_interval_sec, max_power_w, config FROM devices WHERE id IN (${devices.join(',')})${lock}`,
      [],
      m,
    );
    for (const device of rows) {
      const deviceId = Number(device.id);
      const settings = energySettings(device);
      // The import comes from the first source metric the device has (one chain, never two mixed).
      const touched = IMPORT_SOURCE_METRICS.find((metric) => earliest.has(`${deviceId}|${metric}`));
      const exported = earliest.get(`${deviceId}|exportEnergy`);
      if (touched) {
        const source = touched === 'importEnergy' ? touched : await this.sourceMetric(m, deviceId, 'import');
        const minute = source ? earliest.get(`${deviceId}|${source}`) : undefined;
        if (source && minute) await this.recompute(m, deviceId, 'import', source, settings, minute.bucket);
      }
      if (exported) await this.recompute(m, deviceId, 'export', 'exportEnergy', settings, exported.bucket);
    }
  }

  /**
   * Computes a device's quarters again from all of its 1-minute rollups (rollups-rebuild, backfill),
   * BUCKETS_PER_READ minutes per transaction, each continuing from the state the one before ended in,
   * so that ingest is not held up for long. Quarters older than the oldest 1-minute rollup are kept.
   */
  async rebuildDevice(deviceId: number): Promise<number> {
    const [device] = await this.db.query<DeviceRow>('SELECT id, poll_interval_sec, max_power_w, config FROM devices WHERE id = ?', [deviceId]);
    if (!device) return 0;
    let written = 0;
    for (const kind of ['import', 'export'] as const) {
      const metric = await this.db.transaction((m) => this.sourceMetric(m, deviceId, kind));
      if (!metric) continue;
      const [row] = await this.db.query<{ b: number | string | null }>(
        'SELECT MIN(bucket) AS b FROM rollups WHERE device_id = ? AND metric = ? AND bucket_ms = 60000',
        [deviceId, metric],
      );
      if (row?.b === null || row?.b === undefined) continue;
      let step: Continuation | null = { minute: Number(row.b), state: undefined };
      while (step) {
        const from: Continuation = step;
        const done = await this.db.transaction((m) =>
          this.recompute(m, deviceId, kind, metric, energySettings(device), from.minute, { start: from.state, pages: 1, rebuild: true }),
        );
        written += done.written;
        step = done.next;
      }
    }
    return written;
  }

  /** The metric a kind is computed from, or null when the device has none. */
  private async sourceMetric(m: EntityManager, deviceId: number, kind: EnergyKind): Promise<string | null> {
    for (const metric of kind === 'export' ? ['exportEnergy'] : IMPORT_SOURCE_METRICS) {
      const [row] = await this.db.query('SELECT 1 AS x FROM rollups WHERE device_id = ? AND metric = ? AND bucket_ms = 60000 LIMIT 1', [deviceId, metric], m);
      if (row) return metric;
    }
    return null;
  }

  /**
   * Recomputes the quarters a merge into minute `fromMinute` can change: from the quarter holding the
   * last reference before that minute (the delta after it spreads back into that quarter) to the end,
   * or, with `pages`, for that many reads of BUCKETS_PER_READ minutes (`next` says where to go on).
   * Quarters before it are kept. A rebuild starts from the state stored before the oldest 1-minute
   * rollup even when retention has removed that state's own minute.
   */
  private async recompute(
    m: EntityManager,
    deviceId: number,
    kind: EnergyKind,
    metric: string,
    settings: EnergySettings,
    fromMinute: number,
    { start: given, pages = Infinity, rebuild = false }: { start?: ChainState | null; pages?: number; rebuild?: boolean } = {},
  ): Promise<{ written: number; next: Continuation | null }> {
    const start = given === undefined ? await this.stateBefore(m, deviceId, kind, fromMinute) : given;
    // A late reading from before the 1-minute retention: the readings around it are gone from the
    // rollups, and computing on from it would spread its delta over everything retention removed.
    // The quarters stored there stay as they were (the reading is in the raw, 15-minute and hourly data).
    if (start && given === undefined && !rebuild && !(await this.hasMinute(m, deviceId, metric, start.refTs))) return { written: 0, next: null };
    const from = start ? quarterOf(start.refTs) : Number.MIN_SAFE_INTEGER;
    const compute = metric === 'power' ? powerQuarters : counterQuarters;
    const quarters = new Map<number, QuarterResult>();
    let state: ChainState | null = start;
    // Without a state before the minute, everything is computed from the first 1-minute rollup on.
    let after = start ? start.refTs - (start.refTs % 60_000) : given === undefined ? Number.MIN_SAFE_INTEGER : fromMinute;
    let next: Continuation | null = null;
    for (let read = 1; ; read++) {
      const rows = await this.db.query<Record<string, number | string>>(
        `SELECT bucket, first_ts, first_value, last_ts, last_value, value_min, value_max, value_count, value_sum FROM rollups
         WHERE device_id = ? AND metric = ? AND bucket_ms = 60000 AND bucket >= ? ORDER BY bucket LIMIT ${BUCKETS_PER_READ}`,
        [deviceId, metric, after],
        m,
      );
      if (!rows.length) break;
      const results = compute(rows.map(readingBucket), settings, state);
      // A page continues from the previous page's last state; the quarter holding it is computed again, whole.
      for (const q of results) quarters.set(q.quarter, q);
      if (results.length) state = results[results.length - 1].state;
      if (rows.length < BUCKETS_PER_READ) break;
      // The next page reads again from the reference's minute (readings after a spike are read again), and at least one minute on.
      const following = Number(rows[rows.length - 1].bucket) + 60_000;
      const refMinute = state ? state.refTs - (state.refTs % 60_000) : following;
      after = refMinute > after ? Math.min(refMinute, following) : following;
      if (read >= pages) {
        next = { minute: after, state };
        break;
      }
    }
    const out = [...quarters.values()].sort((a, b) => a.quarter - b.quarter);
    // Cut short, the quarters after the last one computed stay until the next part replaces them.
    const until = next && out.length ? out[out.length - 1].quarter + 1 : Number.MAX_SAFE_INTEGER;
    await this.db.execute('DELETE FROM energy_quarters WHERE device_id = ? AND kind = ? AND quarter >= ? AND quarter < ?', [deviceId, kind, from, until], m);
    for (let i = 0; i < out.length; i += QUARTERS_PER_STATEMENT) await this.insert(m, deviceId, kind, out.slice(i, i + QUARTERS_PER_STATEMENT));
    return { written: out.length, next };
  }

  private async hasMinute(m: EntityManager, deviceId: number, metric: string, ts: number): Promise<boolean> {
    const [row] = await this.db.query(
      'SELECT 1 AS x FROM rollups WHERE device_id = ? AND metric = ? AND bucket_ms = 60000 AND bucket = ?',
      [deviceId, metric, ts - (ts % 60_000)],
      m,
    );
    return row !== undefined;
  }

  /** The chain state stored last before minute `minute` starts, with what its quarter had counted then. */
  private async stateBefore(m: EntityManager, deviceId: number, kind: EnergyKind, minute: number): Promise<ChainState | null> {
    // The last state before the minute, and the row of the quarter that holds its reference (the one whose at_ref_* count).
    const [row] = await this.db.query<Record<string, number | string | null>>(
      `SELECT last.ref_ts, last.ref_value, own.ref_ts AS own_ref_ts, own.at_ref_wh, own.at_ref_resets, own.at_ref_rollovers, own.at_ref_spikes, own.at_ref_interpolated_wh
       FROM (SELECT ref_ts, ref_value FROM energy_quarters WHERE device_id = ? AND kind = ? AND ref_ts < ? ORDER BY quarter DESC LIMIT 1) last
       LEFT JOIN energy_quarters own ON own.device_id = ? AND own.kind = ? AND own.quarter = (last.ref_ts - 1) - ((last.ref_ts - 1) % ${QUARTER_MS})`,
      [deviceId, kind, minute, deviceId, kind],
      m,
    );
    if (!row) return null;
    const refTs = Number(row['ref_ts']);
    // The quarter holding the reference always has a row; without it (never written so) everything is computed again.
    if (row['own_ref_ts'] === null || Number(row['own_ref_ts']) !== refTs) return null;
    const n = (k: string) => Number(row[k]);
    return {
      refTs,
      refValue: n('ref_value'),
      atRef: {
        wh: n('at_ref_wh'),
        resets: n('at_ref_resets'),
        rollovers: n('at_ref_rollovers'),
        spikes: n('at_ref_spikes'),
        interpolatedWh: n('at_ref_interpolated_wh'),
      },
    };
  }

  private async insert(m: EntityManager, deviceId: number, kind: EnergyKind, quarters: QuarterResult[]): Promise<void> {
    if (!quarters.length) return;
    const params: unknown[] = [];
    const values = quarters.map((q) => {
      params.push(deviceId, kind, q.quarter, q.wh, q.resets, q.rollovers, q.spikes, q.interpolatedWh, q.state.refTs, q.state.refValue);
      params.push(q.state.atRef.wh, q.state.atRef.resets, q.state.atRef.rollovers, q.state.atRef.spikes, q.state.atRef.interpolatedWh);
      return '(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)';
    });
    await this.db.execute(
      `INSERT INTO energy_quarters (device_id, kind, quarter, wh, resets, rollovers, spikes, interpolated_wh, ref_ts, ref_value,
        at_ref_wh, at_ref_resets, at_ref_rollovers, at_ref_spikes, at_ref_interpolated_wh) VALUES ${values.join(',')}`,
      params,
      m,
    );
  }
}

function readingBucket(r: Record<string, number | string>): ReadingBucket {
  const n = (k: string) => Number(r[k]);
  return {
    firstTs: n('first_ts'),
    first: n('first_value'),
    lastTs: n('last_ts'),
    last: n('last_value'),
    min: n('value_min'),
    max: n('value_max'),
    count: n('value_count'),
    sum: n('value_sum'),
  };
}

/** Where a recomputation cut short goes on: the minute to read from and the chain state to start with. */
interface Continuation {
  minute: number;
  state: ChainState | null | undefined;
}

interface DeviceRow {
  id: number | string;
  poll_interval_sec: number | string;
  max_power_w: number | string | null;
  config: unknown;
}

/** A device's settings for the calculator. */
export function energySettings(device: DeviceRow): EnergySettings {
  let driver: unknown;
  try {
    const config = typeof device.config === 'string' ? JSON.parse(device.config) : device.config;
    driver = (config as { driver?: unknown } | null)?.driver;
  } catch {
    driver = undefined;
  }
  return {
    maxPowerW: device.max_power_w === null || device.max_power_w === undefined ? DEFAULT_MAX_POWER_W : Number(device.max_power_w),
    pollIntervalMs: Number(device.poll_interval_sec) * 1000,
    ...(typeof driver === 'string' && UINT32_WH_DRIVERS.has(driver) && { registerModulus: 2 ** 32 }),
  };
}
