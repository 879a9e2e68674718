import { Injectable } from '@nestjs/common';
import { ALARM_SEVERITIES, type AlarmSeverity } from '@pieng/shared';
import { ClientsService } from '../clients/clients.service';
import type { ClientScope } from '../common/client-scope';
import { InvalidInputError } from '../common/domain-errors';
import { localDayIndex, offsetAt } from '../common/time-zones';
import { Database } from '../database/database.service';
import type { DemandResponse, EnergyResponse } from '../energy/dto/energy.responses';
import { EnergyService } from '../energy/energy.service';
import { RollupStore } from '../rollups/rollup-store';
import { TariffsService } from '../tariffs/tariffs.service';
import { MonthlyReportQuery, ReportLanguage } from './dto/monthly-report.query';
import { ReportPeriod, reportPeriod } from './report-period';

const QUARTERS_PER_DAY = 96;

export interface DeviceShare {
  id: number;
  name: string;
  kWh: number;
  /** Mean power factor over the period (hourly rollups), null where the meter reports none. */
  powerFactor: number | null;
}

export interface AlarmLine {
  rule: string;
  severity: AlarmSeverity;
  metric: string;
  count: number;
  /** Time the alarms of the rule were active within the period (ms; an alarm still active counts to the period's end). */
  activeMs: number;
  stillActive: number;
}

/** Everything the monthly report shows, each figure from the service the API answers with. */
export interface MonthlyReportData {
  lang: ReportLanguage;
  month: string;
  client: { id: number; name: string };
  site: { name: string; address: string | null; readingDay: number | null } | null;
  timezone: string;
  period: ReportPeriod;
  tariff: { name: string; modality: string; validFrom: string } | null;
  /** GET /api/energy?clientId&from&to&interval=day */
  energy: EnergyResponse;
  previousMonthKWh: number;
  lastYearKWh: number;
  /** GET /api/energy/demand?clientId&from&to */
  demand: DemandResponse;
  /** Mean kW of each local quarter of the day (96), over weekdays and over weekend days; null where no day had a value. */
  typicalDay: { weekday: Array<number | null>; weekend: Array<number | null> };
  devices: DeviceShare[];
  alarms: AlarmLine[];
  /** Days of the period without any energy reading. */
  daysWithoutData: number;
}

@Injectable()
export class MonthlyReportService {
  constructor(
    private readonly db: Database,
    private readonly clients: ClientsService,
    private readonly energy: EnergyService,
    private readonly tariffs: TariffsService,
    private readonly rollups: RollupStore,
  ) {}

  async gather(scope: ClientScope, q: MonthlyReportQuery, now = Date.now()): Promise<MonthlyReportData> {
    const client = await this.clients.get(scope, q.clientId);
    const { timezone } = await this.clients.dataSettings(client.id);
    const [siteRow] = await this.db.scan<{ id: number; name: string; address: string | null; reading_day: number | null }>(
      'SELECT id, name, address, reading_day FROM sites WHERE client_id = ? ORDER BY id LIMIT 1',
      [client.id],
    );
    const readingDay = siteRow?.reading_day === null || siteRow?.reading_day === undefined ? null : Number(siteRow.reading_day);
    const period = reportPeriod(q.month, timezone, readingDay);
    if (period.from > now)
      throw InvalidInputError.forFields([{ field: 'month', message: `${q.month} has not begun yet: ask for this month or one before it` }]);
    const to = period.until - 1;
    const scopeOf = { clientId: client.id };
    const energy = await this.energy.energy(scope, { ...scopeOf, from: period.from, to, interval: 'day' });
    const total = async (shift: number) => {
      const p = reportPeriod(q.month, timezone, readingDay, shift);
      return (await this.energy.energy(scope, { ...scopeOf, from: p.from, to: p.until - 1, interval: 'month' })).total.kWh;
    };
    const previousMonthKWh = await total(-1);
    const lastYearKWh = await total(-12);
    const demand = await this.energy.demand(scope, { ...scopeOf, from: period.from, to });
    const devices = await this.deviceShares(scope, client.id, period);
    return {
      lang: q.lang ?? 'en',
      month: q.month,
      client: { id: client.id, name: client.name },
      site: siteRow ? { name: siteRow.name, address: siteRow.address, readingDay } : null,
      timezone,
      period,
      tariff: await this.tariffInForce(scope, client.id, siteRow?.id ?? null, period.from, timezone),
      energy,
      previousMonthKWh,
      lastYearKWh,
      demand,
      typicalDay: typicalDay(demand, timezone),
      devices,
      alarms: await this.alarms(client.id, period),
      daysWithoutData: energy.intervals.filter((i) => i.kWh === null).length,
    };
  }

  /** The tariff version in force at the start of the period: the site's own, else the client's. */
  private async tariffInForce(scope: ClientScope, clientId: number, siteId: number | null, from: number, timezone: string) {
    const day = new Date(localDayIndex(from, timezone) * 86_400_000).toISOString().slice(0, 10);
    for (const owner of [...(siteId !== null ? [{ siteId }] : []), { clientId }]) {
      const versions = (await this.tariffs.list(scope, owner)).filter((t) => t.validFrom <= day);
      const t = versions[versions.length - 1];
      if (t) return { name: t.name, modality: t.modality, validFrom: t.validFrom };
    }
    return null;
  }

  /**
   * Each active meter's kWh (GET /api/energy?deviceId) and mean power factor (hourly rollups), largest
   * first: the sub-meters when the client marks some (the main meter holds their sum), else every
   * meter. Virtual meters are left out: they are sums and differences of the others, counted already.
   */
  private async deviceShares(scope: ClientScope, clientId: number, period: ReportPeriod): Promise<DeviceShare[]> {
    const all = await this.db.scan<{ id: number; name: string; submeter: number | boolean }>(
      "SELECT id, name, submeter FROM devices WHERE client_id = ? AND active = ? AND device_type <> 'virtual' ORDER BY id",
      [clientId, true],
    );
    const subs = all.filter((d) => Boolean(d.submeter));
    const devices = subs.length > 0 ? subs : all;
    const out: DeviceShare[] = [];
    for (const d of devices) {
      const id = Number(d.id);
      const e = await this.energy.energy(scope, { deviceId: id, from: period.from, to: period.until - 1, interval: 'month' });
      await this.rollups.flushDevice(id);
      const [pf] = await this.db.scan<{ s: number | null; n: number | string | null }>(
        "SELECT SUM(value_sum) AS s, SUM(value_count) AS n FROM rollups WHERE device_id = ? AND metric = 'powerFactor' AND bucket_ms = 3600000 AND bucket >= ? AND bucket < ?",
        [id, period.from - (period.from % 3_600_000), period.until],
      );
      const n = Number(pf?.n ?? 0);
      out.push({ id, name: d.name, kWh: e.total.kWh, powerFactor: n > 0 ? Number(pf.s) / n : null });
    }
    return out.sort((a, b) => b.kWh - a.kWh);
  }

  /** The alarm events of the period (alarm_events), per rule: how many, how long active in the period. */
  private async alarms(clientId: number, period: ReportPeriod): Promise<AlarmLine[]> {
    const rows = await this.db.scan<{ rule: string; severity: AlarmSeverity; metric: string; raised_at: number | string; cleared_at: number | string | null }>(
      `SELECT r.name AS rule, r.severity, e.metric, e.raised_at, e.cleared_at FROM alarm_events e JOIN alarm_rules r ON r.id = e.rule_id JOIN devices d ON d.id = e.device_id
       WHERE d.client_id = ? AND e.raised_at < ? AND (e.cleared_at IS NULL OR e.cleared_at >= ?) ORDER BY r.name, e.raised_at`,
      [clientId, period.until, period.from],
    );
    const byRule = new Map<string, AlarmLine>();
    for (const r of rows) {
      const line = byRule.get(r.rule) ?? { rule: r.rule, severity: r.severity, metric: r.metric, count: 0, activeMs: 0, stillActive: 0 };
      const raised = Math.max(Number(r.raised_at), period.from);
      const cleared = r.cleared_at === null ? period.until : Math.min(Number(r.cleared_at), period.until);
      line.count++;
      line.activeMs += Math.max(0, cleared - raised);
      if (r.cleared_at === null) line.stillActive++;
      byRule.set(r.rule, line);
    }
    // By severity, most urgent first (ISA-18.2 order), then the longest active.
    return [...byRule.values()].sort((a, b) => ALARM_SEVERITIES.indexOf(a.severity) - ALARM_SEVERITIES.indexOf(b.severity) || b.activeMs - a.activeMs);
  }
}

/** The demand API's 15-minute points averaged per local quarter of the day, weekdays apart from weekends. */
export function typicalDay(demand: DemandResponse, timezone: string): MonthlyReportData['typicalDay'] {
  const sums = { weekday: new Array<number>(QUARTERS_PER_DAY).fill(0), weekend: new Array<number>(QUARTERS_PER_DAY).fill(0) };
  const counts = { weekday: new Array<number>(QUARTERS_PER_DAY).fill(0), weekend: new Array<number>(QUARTERS_PER_DAY).fill(0) };
  for (const p of demand.points) {
    if (p.kW === null) continue;
    const t = Date.parse(p.start);
    const local = t + offsetAt(t, timezone);
    const quarter = Math.floor((((local % 86_400_000) + 86_400_000) % 86_400_000) / 900_000);
    const weekday = new Date(local).getUTCDay();
    const kind = weekday === 0 || weekday === 6 ? 'weekend' : 'weekday';
    sums[kind][quarter] += p.kW;
    counts[kind][quarter]++;
  }
  const mean = (kind: 'weekday' | 'weekend') => sums[kind].map((s, i) => (counts[kind][i] ? s / counts[kind][i] : null));
  return { weekday: mean('weekday'), weekend: mean('weekend') };
}
