import { Injectable } from '@nestjs/common';
import { ClientScope } from '../common/client-scope';
import { InvalidInputError, UnprocessableError } from '../common/domain-errors';
import { alignDown, DAY_MS } from '../common/time-zones';
import { Database } from '../database/database.service';
import { DevicesService } from '../devices/devices.service';
import { RollupStore } from '../rollups/rollup-store';
import { VoltageQualityQuery } from './dto/analytics.requests';
import { VoltageQualityResponse } from './dto/analytics.responses';
import { classifyVoltage, DRCM, DRPM, PhaseReading, PRODIST_RANGES, READING_MS, weeklyConformity } from './voltage-conformity';

const PHASE_METRICS = ['voltageL1', 'voltageL2', 'voltageL3'];
const MAX_DAYS = 366;
const MAX_OUTSIDE = 2000;

/**
 * PRODIST Módulo 8 steady-state voltage conformity of a meter: 10-minute mean voltages from the
 * 1-minute rollups (each window the mean of its readings), classified per phase, with DRP and DRC
 * per week of 1,008 windows from `from`.
 */
@Injectable()
export class VoltageQualityService {
  constructor(
    private readonly db: Database,
    private readonly devices: DevicesService,
    private readonly rollups: RollupStore,
  ) {}

  async voltage(scope: ClientScope, q: VoltageQualityQuery): Promise<VoltageQualityResponse> {
    const nominal = q.nominal ?? 220;
    const ranges = PRODIST_RANGES[nominal];
    if (!ranges) throw new UnprocessableError(`nominal ${nominal} V has no PRODIST Módulo 8 ranges here (known: ${Object.keys(PRODIST_RANGES).join(', ')} V)`);
    if (q.from === undefined) throw InvalidInputError.forFields([{ field: 'from', message: 'is required' }]);
    const to = q.to ?? q.from + 7 * DAY_MS;
    if (q.from > to) throw InvalidInputError.forFields([{ field: 'from', message: 'must not be after to' }]);
    if (to - q.from > MAX_DAYS * DAY_MS) throw InvalidInputError.forFields([{ field: 'to', message: `the period is longer than ${MAX_DAYS} days` }]);
    await this.devices.get(scope, q.deviceId);
    await this.rollups.flushDevice(q.deviceId);
    const from = alignDown(q.from, READING_MS);
    const until = alignDown(to, READING_MS) + READING_MS;
    const metrics = ['voltage', ...PHASE_METRICS];
    const rows = await this.db.scan<{ metric: string; w: number | string; s: number; n: number | string }>(
      `SELECT metric, bucket - bucket % ${READING_MS} AS w, SUM(value_sum) AS s, SUM(value_count) AS n FROM rollups
       WHERE device_id = ? AND metric IN (${metrics.map(() => '?').join(',')}) AND bucket_ms = 60000 AND bucket >= ? AND bucket < ?
       GROUP BY metric, w ORDER BY w, metric`,
      [q.deviceId, ...metrics, from, until],
    );
    // Per-phase metrics when the meter has them; a single-phase meter's `voltage` otherwise.
    const threePhase = rows.some((r) => PHASE_METRICS.includes(r.metric));
    const windows = new Map<number, PhaseReading>();
    for (const r of rows) {
      if (threePhase !== PHASE_METRICS.includes(r.metric)) continue;
      const w = Number(r.w);
      const reading = windows.get(w) ?? { start: w, phases: {} };
      reading.phases[r.metric] = Number(r.s) / Number(r.n);
      windows.set(w, reading);
    }
    const readings = [...windows.values()].sort((a, b) => a.start - b.start);
    const weeks = weeklyConformity(readings, from, until, ranges);
    const totals = { adequate: 0, precarious: 0, critical: 0 };
    const outside: VoltageQualityResponse['outside'] = [];
    for (const r of readings) {
      for (const [phase, v] of Object.entries(r.phases)) {
        const band = classifyVoltage(v, ranges);
        totals[band]++;
        if (band !== 'adequate' && outside.length < MAX_OUTSIDE) outside.push({ start: new Date(r.start).toISOString(), phase, voltage: v, band });
      }
    }
    return {
      nominal,
      system: ranges.system,
      adequate: ranges.adequate,
      precarious: ranges.precarious,
      reference:
        'ANEEL PRODIST Módulo 8 (Qualidade do Fornecimento de Energia Elétrica), tensão em regime permanente: faixas para tensão nominal ≤ 1 kV (revision 10, Anexo 8.A, Tabelas 3 and 4; same values in the REN 956/2021 consolidation)',
      drpm: DRPM,
      drcm: DRCM,
      totals,
      weeks: weeks.map((w) => ({ ...w, start: new Date(w.start).toISOString(), end: new Date(w.end).toISOString() })),
      outside,
    };
  }
}
