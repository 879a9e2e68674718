import { Injectable } from '@nestjs/common';
import { ClientScope, ScopedWhere } from '../common/client-scope';
import { brazilianHolidays } from '../tariffs/tariff-calculator';
import { InvalidInputError, NotFoundError, UnprocessableError } from '../common/domain-errors';
import { DAY_MS, localDayIndex, localDayStarts, offsetAt } from '../common/time-zones';
import { Database } from '../database/database.service';
import { DevicesService } from '../devices/devices.service';
import { Device } from '../devices/entities/device.entity';
import { EnergyService } from '../energy/energy.service';
import { RollupStore } from '../rollups/rollup-store';
import { SitesService } from '../sites/sites.service';
import { degreeDays, expectedEnergy, FitError, fitBaseline, g14Verdict } from './baseline-fit';
import { dayType, expectedBand, HourEnergy, median, scoreHours, HISTORY_DAYS } from './consumption-anomaly';
import { FORECAST_ALPHA, forecastSlot, pastForecastError, residual } from './consumption-forecast';
import {
  AnomaliesQuery,
  BalanceQuery,
  BaselineDriverDto,
  BaselineInterval,
  BaselineListQuery,
  CheckExpressionDto,
  FitBaselineDto,
  ForecastQuery,
  SaveBaselineDto,
  SavingsQuery,
} from './dto/analytics.requests';
import {
  AnomaliesResponse,
  BalanceResponse,
  BaselineFitResponse,
  ExpressionCheckResponse,
  ForecastResponse,
  SavedBaseline,
  SavingsResponse,
} from './dto/analytics.responses';
import { compileExpression, ExpressionError } from './virtual-meter-expression';

const HOUR_MS = 3_600_000;
/** The longest period one baseline, anomaly or balance answer covers (days). */
const MAX_PERIOD_DAYS = { baseline: 3 * 366, anomalies: 62, balance: 366 } as const;
/** Days of hourly history read before an anomaly period: five weeks hold four Sundays and a holiday besides. */
const ANOMALY_HISTORY_DAYS = 35;

/** One interval's energy. */
export interface EnergyInterval {
  start: number;
  end: number;
  kWh: number | null;
}

/** Brazil's national public holidays (the calendar the tariffs use). */
const isBrazilianHoliday = (date: string): boolean => brazilianHolidays(Number(date.slice(0, 4))).has(date);

/** Local date, weekday (0 = Sunday) and hour of an instant in a time zone. */
function localClock(ts: number, timezone: string) {
  const local = new Date(ts + offsetAt(ts, timezone));
  return { date: local.toISOString().slice(0, 10), weekday: local.getUTCDay(), hour: local.getUTCHours() };
}

const driverName = (d: BaselineDriverDto) => `${d.deviceId}:${d.metric}:${d.transform}${d.base !== undefined ? `@${d.base}` : ''}`;

function requirePeriod(q: { from?: number; to?: number }, maxDays: number): { from: number; to: number } {
  if (q.from === undefined) throw InvalidInputError.forFields([{ field: 'from', message: 'is required' }]);
  if (q.to === undefined) throw InvalidInputError.forFields([{ field: 'to', message: 'is required' }]);
  if (q.from > q.to) throw InvalidInputError.forFields([{ field: 'from', message: 'must not be after to' }]);
  if (q.to - q.from > maxDays * DAY_MS) throw InvalidInputError.forFields([{ field: 'to', message: `the period is longer than ${maxDays} days` }]);
  return { from: q.from, to: q.to };
}

/**
 * Analytics over stored energy and rollups (issue 18): baselines and savings, consumption
 * anomalies, forecasts, energy balance and the virtual-meter expression check. Nothing here is
 * stored as a reading; saved baselines keep only their coefficients.
 */
@Injectable()
export class AnalyticsService {
  constructor(
    private readonly db: Database,
    private readonly devices: DevicesService,
    private readonly energy: EnergyService,
    private readonly rollups: RollupStore,
    private readonly sites: SitesService,
  ) {}

  /** A device's energy per interval, in its time zone (EnergyService; virtual meters through it too). */
  async energyIntervals(
    scope: ClientScope,
    deviceId: number,
    from: number,
    to: number,
    interval: 'hour' | 'day' | 'week' | 'month',
  ): Promise<{ timezone: string; intervals: EnergyInterval[]; cost: number | null; kWh: number }> {
    const res = await this.energy.energy(scope, { deviceId, from, to, interval });
    return {
      timezone: res.timezone,
      intervals: res.intervals.map((i) => ({ start: Date.parse(i.start), end: Date.parse(i.end), kWh: i.kWh })),
      cost: res.total.cost ?? null,
      kWh: res.total.kWh,
    };
  }

  // ---- baselines -------------------------------------------------------------------------------

  async fitBaseline(scope: ClientScope, dto: FitBaselineDto): Promise<BaselineFitResponse> {
    const { response } = await this.fit(scope, dto);
    return response;
  }

  private async fit(scope: ClientScope, dto: FitBaselineDto): Promise<{ response: BaselineFitResponse; device: Device }> {
    const { from, to } = requirePeriod(dto, MAX_PERIOD_DAYS.baseline);
    const device = await this.devices.get(scope, dto.deviceId);
    await this.checkDrivers(scope, device, dto.drivers);
    const { intervals, timezone } = await this.energyIntervals(scope, device.id, from, to, dto.interval);
    const driverValues = await this.driverValues(dto.drivers, intervals, timezone);
    const rows: number[][] = [];
    const y: number[] = [];
    const used: EnergyInterval[] = [];
    intervals.forEach((iv, k) => {
      const xs = driverValues.map((d) => d[k]);
      if (iv.kWh === null || xs.some((v) => v === null)) return;
      rows.push(xs as number[]);
      y.push(iv.kWh);
      used.push(iv);
    });
    const names = dto.drivers.map(driverName);
    let f;
    try {
      f = fitBaseline(rows.length ? rows : y.map(() => []), y, names);
    } catch (err) {
      if (err instanceof FitError) throw new UnprocessableError(`Cannot fit the baseline: ${err.message}`);
      throw err;
    }
    const response: BaselineFitResponse = {
      deviceId: device.id,
      interval: dto.interval,
      n: f.n,
      coefficients: f.coefficients.map((value, i) => ({ name: i === 0 ? 'intercept' : names[i - 1], value, standardError: f.standardErrors[i] })),
      r2: f.r2,
      cvRmse: f.cvRmse,
      nmbe: f.nmbe,
      g14: g14Verdict(f, dto.interval === 'month' ? 'monthly' : 'hourly'),
      points: used.map((iv, i) => ({ start: new Date(iv.start).toISOString(), kWh: y[i], fittedKWh: f.fitted[i], drivers: rows[i] ?? [] })),
    };
    return { response, device };
  }

  /** Every driver's device is the metered device's client's (another client's: 404 as if absent; same-scope other client: 400). */
  private async checkDrivers(scope: ClientScope, device: Device, drivers: BaselineDriverDto[]): Promise<void> {
    for (const [i, d] of drivers.entries()) {
      const other = await this.devices.get(scope, d.deviceId);
      if (other.clientId !== device.clientId)
        throw InvalidInputError.forFields([
          { field: `drivers[${i}].deviceId`, message: `device ${d.deviceId} belongs to another client than device ${device.id}` },
        ]);
      if ((d.transform === 'cdd' || d.transform === 'hdd') && d.base === undefined)
        throw InvalidInputError.forFields([{ field: `drivers[${i}].base`, message: `is required for ${d.transform}` }]);
    }
  }

  /**
   * Each driver's value per interval (null where the metric has no data), from the hourly rollups:
   * sum or mean of the values, or degree-days from each local day's mean.
   */
  private async driverValues(drivers: BaselineDriverDto[], intervals: EnergyInterval[], timezone: string): Promise<Array<Array<number | null>>> {
    if (!intervals.length) return drivers.map(() => []);
    const lo = intervals[0].start;
    const hi = intervals[intervals.length - 1].end;
    const out: Array<Array<number | null>> = [];
    for (const d of drivers) {
      await this.rollups.flushDevice(d.deviceId);
      const rows = await this.db.scan<{ bucket: number | string; s: number; n: number | string }>(
        `SELECT bucket, value_sum AS s, value_count AS n FROM rollups WHERE device_id = ? AND metric = ? AND bucket_ms = ${HOUR_MS} AND bucket >= ? AND bucket < ? ORDER BY bucket`,
        [d.deviceId, d.metric, lo, hi],
      );
      const sums = intervals.map(() => ({ s: 0, n: 0 }));
      // Degree-days: per local day first (mean of the day), then summed into the interval.
      const days = new Map<number, { s: number; n: number; k: number }>();
      let k = 0;
      for (const r of rows) {
        const t = Number(r.bucket);
        while (k < intervals.length - 1 && intervals[k].end <= t) k++;
        if (t < intervals[k].start || t >= intervals[k].end) continue;
        sums[k].s += Number(r.s);
        sums[k].n += Number(r.n);
        if (d.transform === 'cdd' || d.transform === 'hdd') {
          const day = localDayIndex(t, timezone);
          const acc = days.get(day) ?? { s: 0, n: 0, k };
          acc.s += Number(r.s);
          acc.n += Number(r.n);
          days.set(day, acc);
        }
      }
      if (d.transform === 'sum') out.push(sums.map((x) => (x.n ? x.s : null)));
      else if (d.transform === 'mean') out.push(sums.map((x) => (x.n ? x.s / x.n : null)));
      else {
        const dd: Array<number | null> = intervals.map(() => null);
        for (const day of days.values()) dd[day.k] = (dd[day.k] ?? 0) + degreeDays(d.transform as 'cdd' | 'hdd', [day.s / day.n], d.base as number);
        out.push(dd);
      }
    }
    return out;
  }

  async saveBaseline(scope: ClientScope, dto: SaveBaselineDto): Promise<SavedBaseline> {
    const { response, device } = await this.fit(scope, dto);
    const createdAt = Date.now();
    const drivers = dto.drivers.map((d) => ({ deviceId: d.deviceId, metric: d.metric, transform: d.transform, ...(d.base !== undefined && { base: d.base }) }));
    const fit = {
      n: response.n,
      r2: response.r2,
      cvRmse: response.cvRmse,
      nmbe: response.nmbe,
      g14: response.g14,
      from: dto.from,
      to: dto.to,
      points: response.points,
    };
    const id = await this.db.transaction((m) =>
      this.db.insertReturningId(
        'INSERT INTO energy_baselines (client_id, device_id, name, interval, drivers, coefficients, fit, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
        [
          device.clientId,
          device.id,
          dto.name.trim(),
          dto.interval,
          JSON.stringify(drivers),
          JSON.stringify(response.coefficients),
          JSON.stringify(fit),
          createdAt,
        ],
        m,
      ),
    );
    return this.getBaseline(scope, id);
  }

  async listBaselines(scope: ClientScope, q: BaselineListQuery): Promise<SavedBaseline[]> {
    const where = new ScopedWhere(scope, 'client_id');
    if (q.deviceId !== undefined) where.and('device_id = ?', q.deviceId);
    const rows = await this.db.query<Record<string, unknown>>(`SELECT * FROM energy_baselines${where.sql} ORDER BY id`, where.params);
    return rows.map(toSaved);
  }

  async getBaseline(scope: ClientScope, id: number): Promise<SavedBaseline> {
    const [row] = await this.db.query<Record<string, unknown>>('SELECT * FROM energy_baselines WHERE id = ?', [id]);
    if (!row || (scope.clientId !== null && Number(row['client_id']) !== scope.clientId)) throw new NotFoundError(`Baseline ${id} not found`);
    return toSaved(row);
  }

  async deleteBaseline(scope: ClientScope, id: number): Promise<void> {
    await this.getBaseline(scope, id);
    await this.db.transaction((m) => this.db.execute('DELETE FROM energy_baselines WHERE id = ?', [id], m));
  }

  /** Expected energy from the saved coefficients and the period's drivers, and savings = expected − actual, interval by interval. */
  async savings(scope: ClientScope, id: number, q: SavingsQuery): Promise<SavingsResponse> {
    const b = await this.getBaseline(scope, id);
    const { from, to } = requirePeriod(q, MAX_PERIOD_DAYS.baseline);
    const device = await this.devices.get(scope, b.deviceId);
    const drivers = b.drivers as BaselineDriverDto[];
    // The drivers are checked again: a driver's device may have changed hands since the fit.
    await this.checkDrivers(scope, device, drivers);
    const { intervals, timezone } = await this.energyIntervals(scope, device.id, from, to, b.interval as BaselineInterval);
    const values = await this.driverValues(drivers, intervals, timezone);
    const coefficients = b.coefficients.map((c) => c.value);
    const points: SavingsResponse['points'] = [];
    let cumulative = 0,
      expected = 0,
      actual = 0;
    intervals.forEach((iv, k) => {
      const xs = values.map((v) => v[k]);
      if (iv.kWh === null || xs.some((v) => v === null)) return;
      const e = expectedEnergy(coefficients, xs as number[]);
      cumulative += e - iv.kWh;
      expected += e;
      actual += iv.kWh;
      points.push({ start: new Date(iv.start).toISOString(), expectedKWh: e, actualKWh: iv.kWh, savingsKWh: e - iv.kWh, cumulativeKWh: cumulative });
    });
    return { baselineId: b.id, points, expectedKWh: expected, actualKWh: actual, savingsKWh: cumulative };
  }

  // ---- anomalies and forecast --------------------------------------------------------------------

  /**
   * One device, or a client's measuring devices: virtual meters are left out (their inputs are
   * there), and for a forecast (`forTotal`) submeters too, whose energy the main meter already counts.
   */
  private async devicesOf(scope: ClientScope, q: { deviceId?: number; clientId?: number }, forTotal = false): Promise<Device[]> {
    if ((q.deviceId === undefined) === (q.clientId === undefined))
      throw InvalidInputError.forFields([{ field: 'deviceId', message: 'give one of deviceId or clientId' }]);
    if (q.deviceId !== undefined) return [await this.devices.get(scope, q.deviceId)];
    if (scope.clientId !== null && scope.clientId !== q.clientId) throw new NotFoundError(`Client ${q.clientId} not found`);
    const list = await this.devices.list(scope, q.clientId);
    if (!list.length) {
      const [client] = await this.db.query('SELECT id FROM clients WHERE id = ?', [q.clientId]);
      if (!client) throw new NotFoundError(`Client ${q.clientId} not found`);
    }
    return list.filter((d) => d.deviceType !== 'virtual' && !(forTotal && d.submeter));
  }

  /** Hourly energy from `from` − 35 days to `to`, with local day, hour and day type. */
  private async hourHistory(scope: ClientScope, deviceId: number, from: number, to: number): Promise<{ timezone: string; hours: HourEnergy[] }> {
    const { timezone, intervals } = await this.energyIntervals(scope, deviceId, from - ANOMALY_HISTORY_DAYS * DAY_MS, to, 'hour');
    const hours: HourEnergy[] = [];
    for (const iv of intervals) {
      if (iv.kWh === null) continue;
      const c = localClock(iv.start, timezone);
      hours.push({ start: iv.start, kWh: iv.kWh, day: localDayIndex(iv.start, timezone), hour: c.hour, type: dayType(c.date, c.weekday, isBrazilianHoliday) });
    }
    return { timezone, hours };
  }

  async anomalies(scope: ClientScope, q: AnomaliesQuery): Promise<AnomaliesResponse> {
    const { from, to } = requirePeriod(q, MAX_PERIOD_DAYS.anomalies);
    const devices = await this.devicesOf(scope, q);
    const out: AnomaliesResponse['hours'] = [];
    let timezone = 'UTC';
    for (const device of devices) {
      const h = await this.hourHistory(scope, device.id, from, to);
      timezone = h.timezone;
      for (const s of scoreHours(h.hours, from)) {
        if (s.start > to || (q.onlyAnomalies && !s.anomaly)) continue;
        const band = expectedBand(s);
        out.push({
          deviceId: device.id,
          start: new Date(s.start).toISOString(),
          kWh: s.kWh,
          expectedKWh: s.expectedKWh,
          mad: s.mad,
          z: s.z,
          anomaly: s.anomaly,
          bandLowKWh: band.low,
          bandHighKWh: band.high,
        });
      }
    }
    out.sort((a, b) => a.start.localeCompare(b.start) || a.deviceId - b.deviceId);
    return { timezone, hours: out, anomalies: out.filter((h) => h.anomaly).length };
  }

  /**
   * Today's and this month's energy: what was measured so far plus each remaining hour's expected
   * energy (the anomaly median of its hour and day type) times (1 + s), s the EWMA (α = 0.3) of the
   * daily residuals of the days of the month before today (at least the last 7 days).
   */
  async forecast(scope: ClientScope, q: ForecastQuery): Promise<ForecastResponse> {
    const at = q.at ?? Date.now();
    const devices = await this.devicesOf(scope, q, true);
    let timezone = 'UTC';
    const today = { actualKWh: 0, remainingKWh: 0, cost: 0, priced: false };
    const month = { actualKWh: 0, remainingKWh: 0, cost: 0, priced: false };
    // Days are summed over the devices before the residuals are taken (one client = one load).
    const pastDays = new Map<number, { actual: number; expected: number }>();
    let s = 0;
    const futureExpected: Array<{ device: number; start: number; kWh: number; today: boolean }> = [];
    for (const device of devices) {
      const { timezone: tz } = await this.energyIntervals(scope, device.id, at, at, 'hour');
      timezone = tz;
      const dayStart = localDayStarts(at, at, tz)[0];
      const p = localClock(at, tz);
      const monthStart = localDayStarts(Date.parse(`${p.date.slice(0, 8)}01T12:00:00Z`), Date.parse(`${p.date.slice(0, 8)}01T12:00:00Z`), tz)[0];
      const next = new Date(Date.UTC(Number(p.date.slice(0, 4)), Number(p.date.slice(5, 7)), 1, 12));
      const monthEnd = localDayStarts(next.getTime(), next.getTime(), tz)[0];
      const historyFrom = Math.min(monthStart, dayStart - 7 * DAY_MS);
      const { hours } = await this.hourHistory(scope, device.id, historyFrom, at);
      // Measured so far (cost too, where a tariff prices it).
      for (const [part, start] of [
        [today, dayStart],
        [month, monthStart],
      ] as const) {
        const e = await this.energyIntervals(scope, device.id, start, at - 1, 'hour');
        part.actualKWh += e.kWh;
        if (e.cost !== null) {
          part.cost += e.cost;
          part.priced = true;
        }
      }
      // Expected per hour from the last HISTORY_DAYS same-type days before the hour's day.
      const byKey = new Map<string, Array<{ day: number; kWh: number }>>();
      for (const h of hours) {
        const key = `${h.type}:${h.hour}`;
        if (!byKey.has(key)) byKey.set(key, []);
        (byKey.get(key) as Array<{ day: number; kWh: number }>).push({ day: h.day, kWh: h.kWh });
      }
      const expectedAt = (t: number): number | null => {
        const c = localClock(t, tz);
        const day = localDayIndex(t, tz);
        const list = (byKey.get(`${dayType(c.date, c.weekday, isBrazilianHoliday)}:${c.hour}`) ?? []).filter((e) => e.day < day).slice(-HISTORY_DAYS);
        return list.length === HISTORY_DAYS ? median(list.map((e) => e.kWh)) : null;
      };
      // Past days (from historyFrom to yesterday): actual vs expected, hour by hour where both exist.
      for (const h of hours) {
        if (h.start < historyFrom || h.start >= dayStart) continue;
        const e = expectedAt(h.start);
        if (e === null) continue;
        const d = pastDays.get(h.day) ?? { actual: 0, expected: 0 };
        d.actual += h.kWh;
        d.expected += e;
        pastDays.set(h.day, d);
      }
      // Remaining hours of the month from the hour after `at`'s (the current hour's rest counts as expected too).
      for (let t = at - ((at - dayStart) % HOUR_MS); t < monthEnd; t += HOUR_MS) {
        const e = expectedAt(t);
        if (e === null) continue;
        // The current hour: only the part not yet measured.
        const share = t < at ? (t + HOUR_MS - at) / HOUR_MS : 1;
        futureExpected.push({ device: device.id, start: t, kWh: e * share, today: t < dayStart + DAY_MS && localDayIndex(t, tz) === localDayIndex(at, tz) });
      }
    }
    const days = [...pastDays.entries()].sort((a, b) => a[0] - b[0]).map(([, d]) => d);
    for (const d of days) {
      const r = residual(d.actual, d.expected);
      if (r !== null) s = FORECAST_ALPHA * r + (1 - FORECAST_ALPHA) * s;
    }
    for (const f of futureExpected) {
      const kWh = forecastSlot(f.kWh, s);
      month.remainingKWh += kWh;
      if (f.today) today.remainingKWh += kWh;
    }
    const error = pastForecastError(days);
    const part = (p: typeof today) => {
      const forecastKWh = p.actualKWh + p.remainingKWh;
      const price = p.priced && p.actualKWh > 0 ? p.cost / p.actualKWh : null;
      return { actualKWh: p.actualKWh, remainingKWh: p.remainingKWh, forecastKWh, forecastCost: price === null ? null : price * forecastKWh };
    };
    return {
      at: new Date(at).toISOString(),
      timezone,
      method: 'anomalyMedian',
      s,
      today: part(today),
      month: part(month),
      pastErrorPct: error.mape,
      pastErrorDays: error.days,
    };
  }

  // ---- energy balance ----------------------------------------------------------------------------

  async balance(scope: ClientScope, q: BalanceQuery): Promise<BalanceResponse> {
    const { from, to } = requirePeriod(q, MAX_PERIOD_DAYS.balance);
    let mainId: number;
    let subIds: number[];
    if (q.siteId !== undefined) {
      if (q.mainDeviceId !== undefined || q.subDeviceIds !== undefined)
        throw InvalidInputError.forFields([{ field: 'siteId', message: 'give siteId, or mainDeviceId and subDeviceIds, not both' }]);
      const site = await this.sites.get(scope, q.siteId);
      if (site.mainDeviceId === null)
        throw new UnprocessableError(`Site ${site.id} has no main meter: set its mainDeviceId, or give mainDeviceId and subDeviceIds`);
      mainId = site.mainDeviceId;
      const subs = await this.db.query<{ id: number }>(
        `SELECT id FROM devices WHERE site_id = ? AND submeter = ${this.db.kind === 'postgres' ? 'true' : '1'} AND id <> ? ORDER BY id`,
        [site.id, mainId],
      );
      subIds = subs.map((r) => Number(r.id));
    } else {
      if (q.mainDeviceId === undefined)
        throw InvalidInputError.forFields([{ field: 'mainDeviceId', message: 'give siteId, or mainDeviceId and subDeviceIds' }]);
      if (!q.subDeviceIds?.length) throw InvalidInputError.forFields([{ field: 'subDeviceIds', message: 'name at least one sub-meter' }]);
      mainId = q.mainDeviceId;
      subIds = q.subDeviceIds;
    }
    const main = await this.devices.get(scope, mainId);
    for (const id of subIds) {
      const sub = await this.devices.get(scope, id);
      if (sub.clientId !== main.clientId)
        throw InvalidInputError.forFields([{ field: 'subDeviceIds', message: `device ${id} belongs to another client than the main meter ${main.id}` }]);
      if (id === main.id) throw InvalidInputError.forFields([{ field: 'subDeviceIds', message: `device ${id} is the main meter` }]);
    }
    const threshold = q.thresholdPct ?? 10;
    const mainE = await this.energyIntervals(scope, main.id, from, to, 'day');
    const subs = await Promise.all(subIds.map((id) => this.energyIntervals(scope, id, from, to, 'day')));
    const total = { mainKWh: 0, subKWh: 0 };
    const days = mainE.intervals.map((iv, k) => {
      const subKWh = subs.reduce((s, e) => s + (e.intervals[k]?.kWh ?? 0), 0);
      const unmetered = iv.kWh === null ? null : iv.kWh - subKWh;
      const pct = iv.kWh && unmetered !== null ? (unmetered / iv.kWh) * 100 : null;
      if (iv.kWh !== null) {
        total.mainKWh += iv.kWh;
        total.subKWh += subKWh;
      }
      return {
        start: new Date(iv.start).toISOString(),
        mainKWh: iv.kWh,
        subKWh,
        unmeteredKWh: unmetered,
        unmeteredPct: pct,
        flagged: pct !== null && pct > threshold,
      };
    });
    const unmeteredKWh = total.mainKWh - total.subKWh;
    return {
      mainDeviceId: main.id,
      subDeviceIds: subIds,
      thresholdPct: threshold,
      days,
      total: { ...total, unmeteredKWh, unmeteredPct: total.mainKWh ? (unmeteredKWh / total.mainKWh) * 100 : null },
    };
  }

  // ---- virtual meter expressions -------------------------------------------------------------------

  /** Checks an expression over named inputs (devices of one client in the caller's scope); 400 naming the problem and its position. */
  async checkExpression(scope: ClientScope, dto: CheckExpressionDto): Promise<ExpressionCheckResponse> {
    const names = Object.keys(dto.inputs);
    let clientId: number | null = null;
    for (const name of names) {
      const id = dto.inputs[name];
      if (!Number.isInteger(id) || id < 1) throw InvalidInputError.forFields([{ field: `inputs.${name}`, message: 'must be a device id' }]);
      const d = await this.devices.get(scope, id);
      if (clientId !== null && d.clientId !== clientId)
        throw InvalidInputError.forFields([{ field: `inputs.${name}`, message: `device ${id} belongs to another client than the other inputs` }]);
      clientId = d.clientId;
    }
    try {
      const e = compileExpression(dto.expression, names);
      const ones: Record<string, Record<string, number>> = {};
      for (const r of e.reads) (ones[r.input] ??= {})[r.metric] = 1;
      return { valid: true, reads: e.reads.map((r) => `${r.input}.${r.metric}`), sample: e.evaluate(ones) };
    } catch (err) {
      if (err instanceof ExpressionError)
        throw InvalidInputError.forFields([
          { field: 'expression', message: `expression ${err.message}${err.position !== null ? ` (at character ${err.position})` : ''}` },
        ]);
      throw err;
    }
  }
}

function toSaved(row: Record<string, unknown>): SavedBaseline {
  const fit = JSON.parse(String(row['fit']));
  return {
    id: Number(row['id']),
    name: String(row['name']),
    deviceId: Number(row['device_id']),
    interval: String(row['interval']),
    drivers: JSON.parse(String(row['drivers'])),
    coefficients: JSON.parse(String(row['coefficients'])),
    n: fit.n,
    r2: fit.r2,
    cvRmse: fit.cvRmse,
    nmbe: fit.nmbe,
    g14: fit.g14,
    points: fit.points,
    from: new Date(fit.from).toISOString(),
    to: new Date(fit.to).toISOString(),
    createdAt: new Date(Number(row['created_at'])).toISOString(),
  };
}
