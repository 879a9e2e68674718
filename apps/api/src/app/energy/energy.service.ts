import { Injectable } from '@nestjs/common';
import { ClientsService } from '../clients/clients.service';
import { ClientScope } from '../common/client-scope';
import { InvalidInputError } from '../common/domain-errors';
import { alignDown, DAY_MS } from '../common/time-zones';
import { intervalStarts, tooMany } from './energy-intervals';
import { Database } from '../database/database.service';
import { DevicesService } from '../devices/devices.service';
import { RollupStore } from '../rollups/rollup-store';
import { QUARTER_MS } from './energy-counter';
import { DemandQuery, EnergyQuery, EnergyScopeQuery, MAX_ENERGY_INTERVALS } from './dto/energy.queries';
import { DemandResponse, EnergyResponse } from './dto/energy.responses';

/** Whose energy is summed, and in which time zone its days run. */
interface EnergyScope {
  deviceIds: number[];
  timezone: string;
  /** Said when no device of the scope has any energy. */
  noEnergyReason: string;
}

/** Energy summed over devices and quarters; null where no quarter of that kind was there. */
interface IntervalSums {
  importWh: number | null;
  exportWh: number | null;
  resets: number;
  rollovers: number;
  spikes: number;
  interpolatedWh: number;
}

interface QuarterSums extends IntervalSums {
  quarter: number;
}

/** Intervals summed by range reads (more: grouped by quarter), and range reads per statement (SQLite allows 500). */
const MAX_RANGE_READS = 1000;
const RANGE_READS_PER_QUERY = 200;

const SUMS = `SUM(CASE WHEN kind = 'import' THEN wh END) AS import_wh, SUM(CASE WHEN kind = 'export' THEN wh END) AS export_wh,
  SUM(resets) AS resets, SUM(rollovers) AS rollovers, SUM(spikes) AS spikes, SUM(interpolated_wh) AS interpolated_wh`;

/**
 * The devices' quarters, both kinds named so that the key (device_id, kind, quarter) bounds the range
 * of each. Ids (read from the devices table, checked here) are written into the text: a client's
 * thousand devices in 200 range reads would pass the engines' limits on bound values.
 */
const quartersOf = (deviceIds: number[]) => {
  if (!deviceIds.every((id) => Number.isSafeInteger(id))) throw new Error(`device ids ${deviceIds.join(',')} are not all integers`);
  return `device_id IN (${deviceIds.join(',')}) AND kind IN ('import', 'export')`;
};

function sumsOf(r: Record<string, number | string | null>): IntervalSums {
  const orNull = (v: number | string | null | undefined) => (v === null || v === undefined ? null : Number(v));
  return {
    importWh: orNull(r['import_wh']),
    exportWh: orNull(r['export_wh']),
    resets: Number(r['resets'] ?? 0),
    rollovers: Number(r['rollovers'] ?? 0),
    spikes: Number(r['spikes'] ?? 0),
    interpolatedWh: Number(r['interpolated_wh'] ?? 0),
  };
}

function addSums(into: IntervalSums, s: IntervalSums): void {
  if (s.importWh !== null) into.importWh = (into.importWh ?? 0) + s.importWh;
  if (s.exportWh !== null) into.exportWh = (into.exportWh ?? 0) + s.exportWh;
  into.resets += s.resets;
  into.rollovers += s.rollovers;
  into.spikes += s.spikes;
  into.interpolatedWh += s.interpolatedWh;
}

/**
 * Energy per interval and 15-minute demand, summed from energy_quarters (kept by RollupStore as
 * readings are merged: see energy-quarters.ts). Intervals are whole quarters: a local day, week or
 * month starts at a local midnight, which is a quarter boundary in every time zone in use.
 */
@Injectable()
export class EnergyService {
  constructor(
    private readonly db: Database,
    private readonly devices: DevicesService,
    private readonly clients: ClientsService,
    private readonly rollups: RollupStore,
  ) {}

  async energy(scope: ClientScope, q: EnergyQuery): Promise<EnergyResponse> {
    const interval = q.interval ?? 'hour';
    const { from, to } = period(q);
    const who = await this.resolve(scope, q);
    const starts = intervalStarts(interval, from, to, who.timezone);
    const sums = await this.intervalSums(who.deviceIds, starts);
    const hasExport = sums.some((s) => s.exportWh !== null);
    const intervals: EnergyResponse['intervals'] = [];
    const total = { kWh: 0, exportKWh: 0 };
    const quality = { resets: 0, rollovers: 0, spikes: 0, interpolatedKWh: 0 };
    sums.forEach((s, k) => {
      total.kWh += (s.importWh ?? 0) / 1000;
      total.exportKWh += (s.exportWh ?? 0) / 1000;
      quality.resets += s.resets;
      quality.rollovers += s.rollovers;
      quality.spikes += s.spikes;
      quality.interpolatedKWh += s.interpolatedWh / 1000;
      intervals.push({
        start: new Date(starts[k]).toISOString(),
        end: new Date(starts[k + 1]).toISOString(),
        kWh: s.importWh === null ? null : s.importWh / 1000,
        ...(hasExport && { exportKWh: s.exportWh === null ? null : s.exportWh / 1000 }),
      });
    });
    const reason = sums.some((s) => s.importWh !== null || s.exportWh !== null) ? undefined : await this.noEnergyReason(who);
    return {
      unit: 'kWh',
      timezone: who.timezone,
      interval,
      intervals,
      total: { kWh: total.kWh, ...(hasExport && { exportKWh: total.exportKWh }) },
      quality,
      ...(reason && { reason }),
    };
  }

  async demand(scope: ClientScope, q: DemandQuery): Promise<DemandResponse> {
    const { from, to } = period(q);
    const who = await this.resolve(scope, q);
    const first = alignDown(from, QUARTER_MS);
    const end = alignDown(to, QUARTER_MS) + QUARTER_MS;
    if ((end - first) / QUARTER_MS > MAX_ENERGY_INTERVALS) throw tooMany('from', (end - first) / QUARTER_MS);
    const byQuarter = new Map((await this.quarterSums(who.deviceIds, first, end)).map((s) => [s.quarter, s.importWh]));
    const points: DemandResponse['points'] = [];
    let peak: DemandResponse['peak'] = null;
    for (let t = first; t < end; t += QUARTER_MS) {
      const wh = byQuarter.get(t) ?? null;
      // D = kWh × 4: the mean power over 15 minutes.
      const kW = wh === null ? null : (wh * 4) / 1000;
      points.push({ start: new Date(t).toISOString(), kW });
      if (kW !== null && (peak === null || kW > peak.kW)) peak = { kW, at: new Date(t).toISOString() };
    }
    const reason = byQuarter.size ? undefined : await this.noEnergyReason(who);
    return { intervalMinutes: 15, points, peak, ...(reason && { reason }) };
  }

  /** The devices asked for, checked against the caller's scope (another client's: 404), with their pending readings merged. */
  private async resolve(scope: ClientScope, q: EnergyScopeQuery): Promise<EnergyScope> {
    if ((q.deviceId === undefined) === (q.clientId === undefined)) {
      throw InvalidInputError.forFields([{ field: 'deviceId', message: 'give either deviceId or clientId' }]);
    }
    let who: EnergyScope;
    if (q.deviceId !== undefined) {
      const device = await this.devices.get(scope, q.deviceId);
      const { timezone } = await this.clients.dataSettings(device.clientId);
      who = { deviceIds: [device.id], timezone, noEnergyReason: `Device ${device.id} reports neither an energy counter (energy) nor power` };
    } else {
      const clientId = q.clientId as number;
      await this.clients.get(scope, clientId);
      const { timezone } = await this.clients.dataSettings(clientId);
      who = { deviceIds: await this.devicesForTotal(scope, clientId), timezone, noEnergyReason: `No device of client ${clientId} counted in its total reports an energy counter (energy) or power` };
    }
    // A reading that was answered 2xx is counted at once: its rollups, and so its quarters, are merged first.
    for (const id of await this.pendingDevices(who.deviceIds)) await this.rollups.flushDevice(id);
    return who;
  }

  /**
   * The devices whose energy makes up a client's total: all of its devices but the simulated ones
   * (their readings are made up). One place, so that what a total means is decided once.
   */
  async devicesForTotal(scope: ClientScope, clientId: number): Promise<number[]> {
    if (scope.clientId !== null && scope.clientId !== clientId) return [];
    const rows = await this.db.query<{ id: number; config: string | null }>('SELECT id, config FROM devices WHERE client_id = ? ORDER BY id', [clientId]);
    return rows.filter((d) => !isSimulated(d.config)).map((d) => Number(d.id));
  }

  /**
   * The devices with readings still to merge. Read on a connection of its own (scan), as
   * RollupStore.flushDevice does: on SQLite a plain query would run inside a merge under way on the
   * writing connection, see its pending sums gone, and the read after it would miss them.
   */
  private async pendingDevices(ids: number[]): Promise<number[]> {
    if (!ids.length) return [];
    const rows = await this.db.scan<{ device_id: number }>(`SELECT DISTINCT device_id FROM rollup_pending WHERE device_id IN (${ids.map(() => '?').join(',')})`, ids);
    return rows.map((r) => Number(r.device_id));
  }

  /**
   * The sums of the intervals that start at starts[k] and end at starts[k + 1]. A few hundred
   * intervals are summed by one range read each (UNION ALL: each reads its quarters in key order,
   * where a GROUP BY over the devices' quarters sorts them all first, twice the time over a month of
   * 100 devices); more are grouped by quarter and gathered here.
   */
  private async intervalSums(deviceIds: number[], starts: number[]): Promise<IntervalSums[]> {
    const count = starts.length - 1;
    const empty = (): IntervalSums => ({ importWh: null, exportWh: null, resets: 0, rollovers: 0, spikes: 0, interpolatedWh: 0 });
    if (!deviceIds.length) return Array.from({ length: count }, empty);
    if (count > MAX_RANGE_READS) {
      const out = Array.from({ length: count }, empty);
      let k = 0;
      for (const q of await this.quarterSums(deviceIds, starts[0], starts[count])) {
        while (starts[k + 1] <= q.quarter) k++;
        addSums(out[k], q);
      }
      return out;
    }
    const out: IntervalSums[] = [];
    for (let first = 0; first < count; first += RANGE_READS_PER_QUERY) {
      const parts: string[] = [];
      const params: unknown[] = [];
      for (let k = first; k < Math.min(count, first + RANGE_READS_PER_QUERY); k++) {
        parts.push(`SELECT ${k} AS k, ${SUMS} FROM energy_quarters WHERE ${quartersOf(deviceIds)} AND quarter >= ? AND quarter < ?`);
        params.push(starts[k], starts[k + 1]);
      }
      const rows = await this.db.scan<Record<string, number | string | null>>(parts.join(' UNION ALL '), params);
      for (const r of rows.sort((a, b) => Number(a['k']) - Number(b['k']))) out.push(sumsOf(r));
    }
    return out;
  }

  /** The quarters in [from, until) that hold energy, summed over the devices, in time order. */
  private async quarterSums(deviceIds: number[], from: number, until: number): Promise<QuarterSums[]> {
    if (!deviceIds.length) return [];
    const rows = await this.db.scan<Record<string, number | string | null>>(
      `SELECT quarter, ${SUMS} FROM energy_quarters WHERE ${quartersOf(deviceIds)} AND quarter >= ? AND quarter < ? GROUP BY quarter ORDER BY quarter`,
      [from, until],
    );
    return rows.map((r) => ({ quarter: Number(r['quarter']), ...sumsOf(r) }));
  }

  /** The reason for an answer without any energy: none when the scope has energy elsewhere in time. */
  private async noEnergyReason(who: EnergyScope): Promise<string | undefined> {
    if (!who.deviceIds.length) return who.noEnergyReason;
    const [row] = await this.db.query(`SELECT 1 AS x FROM energy_quarters WHERE ${quartersOf(who.deviceIds)} LIMIT 1`);
    return row ? undefined : who.noEnergyReason;
  }
}

function isSimulated(config: string | null): boolean {
  try {
    return (JSON.parse(config ?? '{}') as { simulated?: unknown }).simulated === true;
  } catch {
    return false;
  }
}

/** [from, to] of the query, inclusive; the last 24 hours by default. */
function period(q: { from?: number; to?: number }): { from: number; to: number } {
  const to = q.to ?? Date.now();
  const from = q.from ?? to - DAY_MS;
  if (from > to) throw InvalidInputError.forFields([{ field: 'from', message: 'must not be after to' }]);
  return { from, to };
}
