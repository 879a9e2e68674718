import type { EntityManager } from 'typeorm';
import { Database } from '../database/database.service';
import { ChainState, counterQuarters, DEFAULT_MAX_POWER_W, EnergySettings, powerQuarters, quarterOf, QuarterResult, ReadingBucket } from './energy-counter';

export type EnergyKind = 'import' | 'export';

/** A merged 1-minute bucket, as far as energy cares. */
export interface TouchedMinute {
  deviceId: number;
  metric: string;
  bucket: number;
}

/** The metrics energy is computed from: import from the `energy` counter, else from `power`; export from `exportEnergy`. */
export const ENERGY_SOURCE_METRICS = ['energy', 'power', 'exportEnergy'] as const;

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
    // PostgreSQL: two instances merging minutes of one device take turns here, so the second reads the first's rollups.
    if (this.db.kind === 'postgres') await this.db.query(`SELECT id FROM devices WHERE id IN (${devices.join(',')}) ORDER BY id FOR UPDATE`, [], m);
    for (const deviceId of devices) {
      const energy = earliest.get(`${deviceId}|energy`);
      const power = earliest.get(`${deviceId}|power`);
      const exported = earliest.get(`${deviceId}|exportEnergy`);
      if (energy) await this.recompute(m, deviceId, 'import', energy.bucket);
      else if (power) await this.recompute(m, deviceId, 'import', power.bucket);
      if (exported) await this.recompute(m, deviceId, 'export', exported.bucket);
    }
  }

  /** Computes a device's quarters again from all of its 1-minute rollups (rollups-rebuild, backfill). */
  async rebuildDevice(deviceId: number): Promise<number> {
    return this.db.transaction(async (m) => {
      let written = 0;
      for (const kind of ['import', 'export'] as const) {
        const metric = await this.sourceMetric(m, deviceId, kind);
        if (!metric) continue;
        const [row] = await this.db.query<{ b: number | string | null }>('SELECT MIN(bucket) AS b FROM rollups WHERE device_id = ? AND metric = ? AND bucket_ms = 60000', [deviceId, metric], m);
        if (row?.b !== null && row?.b !== undefined) written += await this.recompute(m, deviceId, kind, Number(row.b));
      }
      return written;
    });
  }

  /** The metric a kind is computed from, or null when the device has none. */
  private async sourceMetric(m: EntityManager, deviceId: number, kind: EnergyKind): Promise<string | null> {
    for (const metric of kind === 'export' ? ['exportEnergy'] : ['energy', 'power']) {
      const [row] = await this.db.query('SELECT 1 AS x FROM rollups WHERE device_id = ? AND metric = ? AND bucket_ms = 60000 LIMIT 1', [deviceId, metric], m);
      if (row) return metric;
    }
    return null;
  }

  /**
   * Recomputes the quarters a merge into minute `fromMinute` can change: from the quarter holding the
   * last reference before that minute (the delta after it spreads back into that quarter) to the end.
   * Quarters before it, and all of them where the 1-minute rollups are gone (retention), are kept.
   */
  private async recompute(m: EntityManager, deviceId: number, kind: EnergyKind, fromMinute: number): Promise<number> {
    const [device] = await this.db.query<{ poll_interval_sec: number; max_power_w: number | null; config: string }>(
      'SELECT poll_interval_sec, max_power_w, config FROM devices WHERE id = ?',
      [deviceId],
      m,
    );
    if (!device) return 0;
    const metric = await this.sourceMetric(m, deviceId, kind);
    if (!metric) return 0;
    const settings = energySettings(device);
    const start = await this.stateBefore(m, deviceId, kind, fromMinute);
    const from = start ? quarterOf(start.refTs) : Number.MIN_SAFE_INTEGER;
    const compute = metric === 'power' ? powerQuarters : counterQuarters;
    const quarters = new Map<number, QuarterResult>();
    let state: ChainState | null = start;
    let after = start ? start.refTs - (start.refTs % 60_000) : Number.MIN_SAFE_INTEGER;
    for (;;) {
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
      const next = Number(rows[rows.length - 1].bucket) + 60_000;
      const refMinute = state ? state.refTs - (state.refTs % 60_000) : next;
      after = refMinute > after ? Math.min(refMinute, next) : next;
    }
    await this.db.execute('DELETE FROM energy_quarters WHERE device_id = ? AND kind = ? AND quarter >= ?', [deviceId, kind, from], m);
    const out = [...quarters.values()].sort((a, b) => a.quarter - b.quarter);
    for (let i = 0; i < out.length; i += QUARTERS_PER_STATEMENT) await this.insert(m, deviceId, kind, out.slice(i, i + QUARTERS_PER_STATEMENT));
    return out.length;
  }

  /** The chain state stored last before minute `minute` starts, with what its quarter had counted then. */
  private async stateBefore(m: EntityManager, deviceId: number, kind: EnergyKind, minute: number): Promise<ChainState | null> {
    const [last] = await this.db.query<{ ref_ts: number | string; ref_value: number }>(
      'SELECT ref_ts, ref_value FROM energy_quarters WHERE device_id = ? AND kind = ? AND ref_ts < ? ORDER BY quarter DESC LIMIT 1',
      [deviceId, kind, minute],
      m,
    );
    if (!last) return null;
    const refTs = Number(last.ref_ts);
    const [own] = await this.db.query<Record<string, number | string>>(
      'SELECT ref_ts, at_ref_wh, at_ref_resets, at_ref_rollovers, at_ref_spikes, at_ref_interpolated_wh FROM energy_quarters WHERE device_id = ? AND kind = ? AND quarter = ?',
      [deviceId, kind, quarterOf(refTs)],
      m,
    );
    // The quarter holding the reference always has a row; without it (never written so) everything is computed again.
    if (!own || Number(own['ref_ts']) !== refTs) return null;
    const n = (k: string) => Number(own[k]);
    return {
      refTs,
      refValue: Number(last.ref_value),
      atRef: { wh: n('at_ref_wh'), resets: n('at_ref_resets'), rollovers: n('at_ref_rollovers'), spikes: n('at_ref_spikes'), interpolatedWh: n('at_ref_interpolated_wh') },
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
  return { firstTs: n('first_ts'), first: n('first_value'), lastTs: n('last_ts'), last: n('last_value'), min: n('value_min'), max: n('value_max'), count: n('value_count'), sum: n('value_sum') };
}

/** A device's settings for the calculator. */
export function energySettings(device: { poll_interval_sec: number | string; max_power_w: number | string | null; config: unknown }): EnergySettings {
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
