import { Injectable } from '@nestjs/common';
import { ClientsService } from '../clients/clients.service';
import { ClientScope } from '../common/client-scope';
import { InvalidInputError } from '../common/domain-errors';
import { alignDown, DAY_MS, localDayIndex, localDayStarts, offsetAt } from '../common/time-zones';
import { Database } from '../database/database.service';
import { DevicesService } from '../devices/devices.service';
import { RollupStore } from '../rollups/rollup-store';
import { QUARTER_MS } from './energy-counter';
import { DemandQuery, EnergyInterval, EnergyQuery, EnergyScopeQuery, MAX_ENERGY_INTERVALS } from './dto/energy.queries';
import { DemandResponse, EnergyResponse } from './dto/energy.responses';

const HOUR_MS = 3_600_000;

/** Whose energy is summed, and in which time zone its days run. */
interface EnergyScope {
  deviceIds: number[];
  timezone: string;
  /** Said when no device of the scope has any energy. */
  noEnergyReason: string;
}

/** The summed quarters of a scope, per kind. */
interface QuarterSums {
  quarter: number;
  importWh: number | null;
  exportWh: number | null;
  resets: number;
  rollovers: number;
  spikes: number;
  interpolatedWh: number;
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
    const sums = await this.quarterSums(who.deviceIds, starts[0], starts[starts.length - 1]);
    const hasExport = sums.some((s) => s.exportWh !== null);
    const intervals: EnergyResponse['intervals'] = [];
    const total = { kWh: 0, exportKWh: 0 };
    const quality = { resets: 0, rollovers: 0, spikes: 0, interpolatedKWh: 0 };
    let i = 0;
    for (let k = 0; k + 1 < starts.length; k++) {
      let importWh: number | null = null;
      let exportWh: number | null = null;
      for (; i < sums.length && sums[i].quarter < starts[k + 1]; i++) {
        const s = sums[i];
        if (s.importWh !== null) importWh = (importWh ?? 0) + s.importWh;
        if (s.exportWh !== null) exportWh = (exportWh ?? 0) + s.exportWh;
        quality.resets += s.resets;
        quality.rollovers += s.rollovers;
        quality.spikes += s.spikes;
        quality.interpolatedKWh += s.interpolatedWh / 1000;
      }
      total.kWh += (importWh ?? 0) / 1000;
      total.exportKWh += (exportWh ?? 0) / 1000;
      intervals.push({
        start: new Date(starts[k]).toISOString(),
        end: new Date(starts[k + 1]).toISOString(),
        kWh: importWh === null ? null : importWh / 1000,
        ...(hasExport && { exportKWh: exportWh === null ? null : exportWh / 1000 }),
      });
    }
    const reason = sums.length ? undefined : await this.noEnergyReason(who);
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

  private async pendingDevices(ids: number[]): Promise<number[]> {
    if (!ids.length) return [];
    const rows = await this.db.query<{ device_id: number }>(`SELECT DISTINCT device_id FROM rollup_pending WHERE device_id IN (${ids.map(() => '?').join(',')})`, ids);
    return rows.map((r) => Number(r.device_id));
  }

  /** The quarters in [from, until) summed over the devices, in time order. */
  private async quarterSums(deviceIds: number[], from: number, until: number): Promise<QuarterSums[]> {
    if (!deviceIds.length) return [];
    const rows = await this.db.scan<Record<string, number | string | null>>(
      `SELECT quarter,
         SUM(CASE WHEN kind = 'import' THEN wh END) AS import_wh, SUM(CASE WHEN kind = 'export' THEN wh END) AS export_wh,
         SUM(resets) AS resets, SUM(rollovers) AS rollovers, SUM(spikes) AS spikes, SUM(interpolated_wh) AS interpolated_wh
       FROM energy_quarters WHERE device_id IN (${deviceIds.map(() => '?').join(',')}) AND quarter >= ? AND quarter < ?
       GROUP BY quarter ORDER BY quarter`,
      [...deviceIds, from, until],
    );
    const n = (v: number | string | null) => (v === null ? null : Number(v));
    return rows.map((r) => ({
      quarter: Number(r['quarter']),
      importWh: n(r['import_wh']),
      exportWh: n(r['export_wh']),
      resets: Number(r['resets']),
      rollovers: Number(r['rollovers']),
      spikes: Number(r['spikes']),
      interpolatedWh: Number(r['interpolated_wh']),
    }));
  }

  /** The reason for an answer without any energy: none when the scope has energy elsewhere in time. */
  private async noEnergyReason(who: EnergyScope): Promise<string | undefined> {
    if (!who.deviceIds.length) return who.noEnergyReason;
    const [row] = await this.db.query(`SELECT 1 AS x FROM energy_quarters WHERE device_id IN (${who.deviceIds.map(() => '?').join(',')}) LIMIT 1`, who.deviceIds);
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

function tooMany(field: string, n: number) {
  return InvalidInputError.forFields([{ field, message: `gives ${Math.ceil(n).toLocaleString('en')} intervals, more than ${MAX_ENERGY_INTERVALS.toLocaleString('en')}: choose a coarser interval or a shorter period` }]);
}

/**
 * The starts of the intervals that overlap [from, to], and the end of the last one: quarters and
 * hours of the local clock, local days, weeks from Monday and calendar months.
 */
export function intervalStarts(interval: EnergyInterval, from: number, to: number, timezone: string): number[] {
  if (interval === '15m' || interval === 'hour') {
    const n = (to - from) / (interval === '15m' ? QUARTER_MS : HOUR_MS);
    if (n > MAX_ENERGY_INTERVALS) throw tooMany('interval', n);
    const out: number[] = [];
    // Local hours start on a quarter whose local time is a whole hour (India's +05:30 too).
    const isStart = (t: number) => interval === '15m' || (t + offsetAt(t, timezone)) % HOUR_MS === 0;
    let t = alignDown(from, QUARTER_MS);
    while (!isStart(t)) t -= QUARTER_MS;
    out.push(t);
    for (t += QUARTER_MS; out[out.length - 1] <= to; t += QUARTER_MS) if (isStart(t)) out.push(t);
    return out;
  }
  const days = (to - from) / DAY_MS / (interval === 'day' ? 1 : interval === 'week' ? 7 : 28);
  if (days > MAX_ENERGY_INTERVALS) throw tooMany('interval', days);
  // Local midnights from before the week or month that holds `from` to after the one that holds `to`.
  const midnights = localDayStarts(from - 32 * DAY_MS, to + 32 * DAY_MS, timezone);
  const isStart = (t: number) => {
    const day = localDayIndex(t, timezone);
    if (interval === 'day') return true;
    // 1970-01-01 was a Thursday: day 4 was the first Monday.
    if (interval === 'week') return (((day - 4) % 7) + 7) % 7 === 0;
    return new Date(day * DAY_MS).getUTCDate() === 1;
  };
  const starts = midnights.filter(isStart);
  const after = starts.findIndex((t) => t > to);
  const first = starts.findIndex((t, k) => t <= from && starts[k + 1] > from);
  return starts.slice(first, after + 1);
}
