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
import { DemandResponse, EnergyResponse, PostoSplit } from './dto/energy.responses';
import { Site } from '../sites/entities/site.entity';
import { isSimulated, SitesService } from '../sites/sites.service';
import { TariffCalculator } from '../tariffs/tariff-calculator';
import { TariffOwner, TariffsService } from '../tariffs/tariffs.service';
import type { Posto } from '../tariffs/tariff-terms';
import { HourMeans, hourPowerFactor, reactiveExcessKWh } from './reactive-excess';
import { virtualEnergy, VirtualMeterConfig } from '../analytics/virtual-meter';

/** Devices whose energy one tariff prices: a site's total, or a client's devices outside any site. */
interface PricingGroup {
  deviceIds: number[];
  /** Whose tariff applies (a site's own, else its client's). */
  owner: TariffOwner;
  site: Site | null;
}

/** Whose energy is summed, and in which time zone its days run. */
interface EnergyScope {
  groups: PricingGroup[];
  /** Every device of every group. */
  deviceIds: number[];
  clientId: number;
  timezone: string;
  /** The one site the scope lies in (a device's, a site, a client with one site): its contracted demand applies. */
  site: Site | null;
  /** Said when no device of the scope has any energy. */
  noEnergyReason: string;
}

/** Cost and kWh by posto of one interval. */
interface IntervalPrice {
  cost: number;
  byPosto: PostoSplit;
}

const POSTOS: readonly Posto[] = ['foraPonta', 'intermediario', 'ponta'];
const emptySplit = (): PostoSplit => ({ foraPonta: { kWh: 0, cost: 0 }, intermediario: { kWh: 0, cost: 0 }, ponta: { kWh: 0, cost: 0 } });

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

const HOUR_MS = 3_600_000;

/** The index k of the interval [starts[k], starts[k + 1]) that holds an instant, or −1 outside them all. */
function intervalOf(starts: number[], at: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  if (at < starts[0] || at >= starts[hi]) return -1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (starts[mid] <= at) lo = mid;
    else hi = mid;
  }
  return lo;
}

const emptySums = (): IntervalSums => ({ importWh: null, exportWh: null, resets: 0, rollovers: 0, spikes: 0, interpolatedWh: 0 });

/** A peak above 1.05 × the contracted demand of its posto; verde contracts one demand (fora de ponta) for all hours. */
function isOverrun(
  byPosto: DemandResponse['peakByPosto'],
  peak: DemandResponse['peak'],
  contracted: { foraPonta: number | null; ponta: number | null },
): boolean {
  const above = (kW: number | undefined, limit: number | null) => kW !== undefined && limit !== null && kW > 1.05 * limit;
  if (contracted.ponta === null) return above(peak?.kW, contracted.foraPonta);
  return above(byPosto.foraPonta?.kW, contracted.foraPonta) || above(byPosto.ponta?.kW, contracted.ponta);
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
    private readonly sites: SitesService,
    private readonly tariffs: TariffsService,
  ) {}

  async energy(scope: ClientScope, q: EnergyQuery): Promise<EnergyResponse> {
    if (q.deviceId !== undefined && q.siteId === undefined && q.clientId === undefined) {
      const device = await this.devices.get(scope, q.deviceId);
      // A virtual meter's energy is its expression over its inputs' energy of each interval.
      if (device.deviceType === 'virtual') {
        await this.devices.assertVirtualInputs(scope, device);
        return virtualEnergy(device.config as unknown as VirtualMeterConfig, device.id, (inputId) => this.energy(scope, { ...q, deviceId: inputId }));
      }
    }
    const interval = q.interval ?? 'hour';
    const { from, to } = period(q);
    const who = await this.resolve(scope, q);
    const starts = intervalStarts(interval, from, to, who.timezone);
    const count = starts.length - 1;
    const sums: IntervalSums[] = Array.from({ length: count }, emptySums);
    // Each group is priced by its own tariff; cost and postos are summed per interval.
    const prices: IntervalPrice[] = Array.from({ length: count }, () => ({ cost: 0, byPosto: emptySplit() }));
    let priced = false;
    let unpricedKWh = 0;
    // Excess reactive energy per interval, where a meter reports its power factor (judged hour by hour, so not in 15m intervals).
    const reactive = { seen: false, charged: false, kWh: new Array<number>(count).fill(0), cost: new Array<number>(count).fill(0) };
    for (const group of who.groups) {
      const calculator = count > 0 ? await this.tariffs.calculatorFor(group.owner, starts[0], starts[count] - 1) : null;
      if (interval !== '15m' && count > 0) {
        const excess = await this.hourlyReactiveExcess(group.deviceIds, starts[0], starts[count]);
        if (excess) reactive.seen = true;
        for (const [hour, kWh] of excess ?? []) {
          const k = intervalOf(starts, hour);
          if (k < 0) continue;
          reactive.kWh[k] += kWh;
          const cost = calculator?.priceReactiveExcess(hour, kWh) ?? null;
          if (cost !== null) {
            reactive.cost[k] += cost;
            reactive.charged = true;
          }
        }
      }
      if (!calculator) {
        for (const [k, s] of (await this.intervalSums(group.deviceIds, starts)).entries()) {
          addSums(sums[k], s);
          // Said when another group of the scope is priced: its kWh are in the total but not in the cost.
          unpricedKWh += (s.importWh ?? 0) / 1000;
        }
        continue;
      }
      priced = true;
      const quarters = await this.quarterSums(group.deviceIds, starts[0], starts[count]);
      let k = 0;
      for (const qs of quarters) {
        while (starts[k + 1] <= qs.quarter) k++;
        addSums(sums[k], qs);
      }
      const result = calculator.price(quarters.filter((qs) => qs.importWh !== null).map((qs) => ({ start: qs.quarter, kWh: (qs.importWh as number) / 1000 })));
      unpricedKWh += result.unpricedKWh;
      k = 0;
      for (const pq of result.quarters) {
        while (starts[k + 1] <= pq.start) k++;
        if (pq.cost === null) continue;
        prices[k].cost += pq.cost;
        prices[k].byPosto[pq.posto].kWh += pq.kWh;
        prices[k].byPosto[pq.posto].cost += pq.cost;
      }
    }
    const hasExport = sums.some((s) => s.exportWh !== null);
    const intervals: EnergyResponse['intervals'] = [];
    const total = { kWh: 0, exportKWh: 0, cost: 0, byPosto: emptySplit() };
    const quality = { resets: 0, rollovers: 0, spikes: 0, interpolatedKWh: 0 };
    sums.forEach((s, k) => {
      total.kWh += (s.importWh ?? 0) / 1000;
      total.exportKWh += (s.exportWh ?? 0) / 1000;
      quality.resets += s.resets;
      quality.rollovers += s.rollovers;
      quality.spikes += s.spikes;
      quality.interpolatedKWh += s.interpolatedWh / 1000;
      if (priced) {
        total.cost += prices[k].cost;
        for (const p of POSTOS) {
          total.byPosto[p].kWh += prices[k].byPosto[p].kWh;
          total.byPosto[p].cost += prices[k].byPosto[p].cost;
        }
      }
      const flagged = s.resets || s.rollovers || s.spikes || s.interpolatedWh;
      intervals.push({
        start: new Date(starts[k]).toISOString(),
        end: new Date(starts[k + 1]).toISOString(),
        kWh: s.importWh === null ? null : s.importWh / 1000,
        ...(hasExport && { exportKWh: s.exportWh === null ? null : s.exportWh / 1000 }),
        ...(priced && { cost: s.importWh === null ? null : prices[k].cost, byPosto: prices[k].byPosto }),
        ...(flagged && { quality: { resets: s.resets, rollovers: s.rollovers, spikes: s.spikes, interpolatedKWh: s.interpolatedWh / 1000 } }),
        ...(reactive.seen && { reactiveExcessKWh: reactive.kWh[k] }),
        ...(reactive.charged && { reactiveExcessCost: reactive.cost[k] }),
      });
    });
    const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
    const reason = sums.some((s) => s.importWh !== null || s.exportWh !== null) ? undefined : await this.noEnergyReason(who);
    return {
      unit: 'kWh',
      timezone: who.timezone,
      interval,
      intervals,
      total: {
        kWh: total.kWh,
        ...(hasExport && { exportKWh: total.exportKWh }),
        ...(priced && { cost: total.cost, byPosto: total.byPosto, unpricedKWh }),
        ...(reactive.seen && { reactiveExcessKWh: sum(reactive.kWh) }),
        ...(reactive.charged && { reactiveExcessCost: sum(reactive.cost) }),
      },
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
    // The postos of the one tariff the scope lies under: a site's (or a device's site's), else the client's own.
    const owner: TariffOwner = who.site ? { siteId: who.site.id } : { clientId: who.clientId };
    const calculator: TariffCalculator | null = await this.tariffs.calculatorFor(owner, first, end - 1);
    const points: DemandResponse['points'] = [];
    let peak: DemandResponse['peak'] = null;
    const peakByPosto: DemandResponse['peakByPosto'] = { foraPonta: null, ponta: null };
    for (let t = first; t < end; t += QUARTER_MS) {
      const wh = byQuarter.get(t) ?? null;
      // D = kWh × 4: the mean power over 15 minutes.
      const kW = wh === null ? null : (wh * 4) / 1000;
      points.push({ start: new Date(t).toISOString(), kW });
      if (kW === null) continue;
      if (peak === null || kW > peak.kW) peak = { kW, at: new Date(t).toISOString() };
      // Group A has no intermediário: outside ponta is fora de ponta.
      const posto = calculator?.postoAt(t) === 'ponta' ? 'ponta' : 'foraPonta';
      const seen = peakByPosto[posto];
      if (seen === null || kW > seen.kW) peakByPosto[posto] = { kW, at: new Date(t).toISOString() };
    }
    const site = who.site;
    const contractedKW =
      site && (site.contractedKWForaPonta !== null || site.contractedKWPonta !== null)
        ? { foraPonta: site.contractedKWForaPonta, ponta: site.contractedKWPonta }
        : null;
    const overrun = contractedKW !== null && isOverrun(peakByPosto, peak, contractedKW);
    const charge =
      calculator && peak
        ? calculator.demandCharge({
            peakByPosto: { foraPonta: peakByPosto.foraPonta?.kW ?? 0, ponta: peakByPosto.ponta?.kW ?? 0 },
            contractedKW: contractedKW ?? { foraPonta: null, ponta: null },
            at: first,
          })
        : null;
    const reason = byQuarter.size ? undefined : await this.noEnergyReason(who);
    return { intervalMinutes: 15, points, peak, peakByPosto, contractedKW, overrun, ...(charge && { charge }), ...(reason && { reason }) };
  }

  /** The devices asked for, checked against the caller's scope (another client's: 404), with their pending readings merged. */
  private async resolve(scope: ClientScope, q: EnergyScopeQuery): Promise<EnergyScope> {
    const given = [q.deviceId, q.siteId, q.clientId].filter((v) => v !== undefined).length;
    if (given !== 1) throw InvalidInputError.forFields([{ field: 'deviceId', message: 'give one of deviceId, siteId or clientId' }]);
    let who: EnergyScope;
    if (q.deviceId !== undefined) {
      const device = await this.devices.get(scope, q.deviceId);
      const site = device.siteId !== null ? await this.sites.get(scope, device.siteId) : null;
      const timezone = site ? await this.sites.timezoneOf(site) : (await this.clients.dataSettings(device.clientId)).timezone;
      const group = { deviceIds: [device.id], owner: site ? { siteId: site.id } : { clientId: device.clientId }, site };
      who = {
        groups: [group],
        deviceIds: [device.id],
        clientId: device.clientId,
        timezone,
        site,
        noEnergyReason: `Device ${device.id} reports neither an energy counter (importEnergy or energy) nor power`,
      };
    } else if (q.siteId !== undefined) {
      const site = await this.sites.get(scope, q.siteId);
      const deviceIds = (await this.sites.devicesForTotal(site.id)).map((d) => d.id);
      who = {
        groups: [{ deviceIds, owner: { siteId: site.id }, site }],
        deviceIds,
        clientId: site.clientId,
        timezone: await this.sites.timezoneOf(site),
        site,
        noEnergyReason: `No device counted in the total of site ${site.id} reports an energy counter or power`,
      };
    } else {
      const clientId = q.clientId as number;
      await this.clients.get(scope, clientId);
      const groups = await this.groupsOfClient(scope, clientId);
      const sites = groups.filter((g) => g.site !== null);
      who = {
        groups,
        deviceIds: groups.flatMap((g) => g.deviceIds),
        clientId,
        timezone: (await this.clients.dataSettings(clientId)).timezone,
        site: sites.length === 1 && groups.length === 1 ? sites[0].site : null,
        noEnergyReason: `No device of client ${clientId} counted in its total reports an energy counter or power`,
      };
    }
    // A reading that was answered 2xx is counted at once: its rollups, and so its quarters, are merged first.
    for (const id of await this.pendingDevices(who.deviceIds)) await this.rollups.flushDevice(id);
    return who;
  }

  /**
   * What makes up a client's total: each site's total (its main meter, else its devices that are not
   * submeters; SitesService.devicesForTotal), priced by that site's tariff, and the client's devices
   * outside any site, priced by the client's. Simulated devices are left out everywhere.
   */
  private async groupsOfClient(scope: ClientScope, clientId: number): Promise<PricingGroup[]> {
    const groups: PricingGroup[] = [];
    for (const site of await this.sites.list(scope, clientId)) {
      const deviceIds = (await this.sites.devicesForTotal(site.id)).map((d) => d.id);
      if (deviceIds.length) groups.push({ deviceIds, owner: { siteId: site.id }, site });
    }
    const outside = (await this.devices.list(scope, clientId)).filter(
      (d) => d.siteId === null && d.active && !d.submeter && d.deviceType !== 'virtual' && !isSimulated(d),
    );
    if (outside.length) groups.push({ deviceIds: outside.map((d) => d.id), owner: { clientId }, site: null });
    return groups;
  }

  /**
   * The devices with readings still to merge. Read on a connection of its own (scan), as
   * RollupStore.flushDevice does: on SQLite a plain query would run inside a merge under way on the
   * writing connection, see its pending sums gone, and the read after it would miss them.
   */
  private async pendingDevices(ids: number[]): Promise<number[]> {
    if (!ids.length) return [];
    const rows = await this.db.scan<{ device_id: number }>(
      `SELECT DISTINCT device_id FROM rollup_pending WHERE device_id IN (${ids.map(() => '?').join(',')})`,
      ids,
    );
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
    const empty = emptySums;
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

  /**
   * Excess reactive energy (kWh) per UTC hour in [from, until), summed over the devices: each device-hour's
   * active energy (from its quarters) against its power factor (from the hour's rollups of power and
   * reactive power, else of power factor). Null when none of the devices reports either in that time.
   */
  private async hourlyReactiveExcess(deviceIds: number[], from: number, until: number): Promise<Map<number, number> | null> {
    if (!deviceIds.length) return null;
    const hourly = `device_id IN (${deviceIds.map((id) => Math.trunc(id)).join(',')}) AND bucket_ms = ${HOUR_MS} AND bucket >= ? AND bucket < ?`;
    const [reported] = await this.db.scan(`SELECT 1 AS x FROM rollups WHERE ${hourly} AND metric IN ('reactivePower', 'powerFactor') LIMIT 1`, [from, until]);
    if (!reported) return null;
    const means = new Map<string, HourMeans>();
    for (const r of await this.db.scan<{ device_id: number; metric: keyof HourMeans; bucket: number; value_mean: number }>(
      `SELECT device_id, metric, bucket, value_mean FROM rollups WHERE ${hourly} AND metric IN ('power', 'reactivePower', 'powerFactor')`,
      [from, until],
    )) {
      const key = `${r.device_id}|${Number(r.bucket)}`;
      means.set(key, { ...means.get(key), [r.metric]: Number(r.value_mean) });
    }
    const energy = new Map<string, number>();
    for (const q of await this.db.scan<{ device_id: number; quarter: number; wh: number }>(
      `SELECT device_id, quarter, wh FROM energy_quarters WHERE ${quartersOf(deviceIds)} AND kind = 'import' AND quarter >= ? AND quarter < ?`,
      [from, until],
    )) {
      const key = `${q.device_id}|${alignDown(Number(q.quarter), HOUR_MS)}`;
      energy.set(key, (energy.get(key) ?? 0) + Number(q.wh) / 1000);
    }
    const excess = new Map<number, number>();
    for (const [key, hour] of means) {
      const pf = hourPowerFactor(hour);
      const kWh = pf === null ? 0 : reactiveExcessKWh(energy.get(key) ?? 0, pf);
      const start = Number(key.split('|')[1]);
      if (kWh > 0) excess.set(start, (excess.get(start) ?? 0) + kWh);
    }
    return excess;
  }

  /** The reason for an answer without any energy: none when the scope has energy elsewhere in time. */
  private async noEnergyReason(who: EnergyScope): Promise<string | undefined> {
    if (!who.deviceIds.length) return who.noEnergyReason;
    const [row] = await this.db.query(`SELECT 1 AS x FROM energy_quarters WHERE ${quartersOf(who.deviceIds)} LIMIT 1`);
    return row ? undefined : who.noEnergyReason;
  }
}

/** [from, to] of the query, inclusive; the last 24 hours by default. */
function period(q: { from?: number; to?: number }): { from: number; to: number } {
  const to = q.to ?? Date.now();
  const from = q.from ?? to - DAY_MS;
  if (from > to) throw InvalidInputError.forFields([{ field: 'from', message: 'must not be after to' }]);
  return { from, to };
}
