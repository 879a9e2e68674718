import { Injectable } from '@nestjs/common';
import { metricUnit } from '@pieng/shared';
import { ClientScope } from '../common/client-scope';
import { InvalidInputError, UnprocessableError } from '../common/domain-errors';
import { MAX_EPOCH_MS } from '../common/timestamps';
import { Database } from '../database/database.service';
import { DevicesService } from '../devices/devices.service';
import { LinregQuery, RawMetricsQuery, SeriesQuery, SummaryQuery } from './dto/metric.queries';
import { LinregResponse, MeasurementPage, SeriesResponse, SummaryResponse } from './dto/metric.responses';
import { linearFit, meanAndSampleStd, processCapability } from './statistics';
import { ClientsService } from '../clients/clients.service';
import { Resolution, retentionCut } from '../retention/retention-policy';
import { alignDown, DAY_MS, offsetAt } from '../common/time-zones';
import { coverRange } from '../rollups/range-cover';
import { ROLLUP_RESOLUTIONS, RollupResolution, RollupStore } from '../rollups/rollup-store';
import { bucketStarts, chooseStep, SeriesStep, stepMs } from './series-buckets';
import { evaluateAligned, expressionOf, VIRTUAL_SOURCE, VirtualMeterConfig, virtualMinutes } from '../analytics/virtual-meter';
const num = (v: unknown) => (v === null || v === undefined ? 0 : Number(v));

/** Range filter on the (device, metric, ts) key; absent bounds are open. */
function range(from: number | undefined, to: number | undefined) {
  if (from !== undefined && to !== undefined && from > to) throw InvalidInputError.forFields([{ field: 'from', message: 'must not be after to' }]);
  return { sql: 'ts >= ? AND ts <= ?', params: [from ?? 0, to ?? Number.MAX_SAFE_INTEGER] };
}

@Injectable()
export class MetricsService {
  constructor(
    private readonly db: Database,
    private readonly devices: DevicesService,
    private readonly clients: ClientsService,
    private readonly rollups: RollupStore,
  ) {}

  async raw(scope: ClientScope, q: RawMetricsQuery): Promise<MeasurementPage> {
    const device = await this.devices.get(scope, q.deviceId);
    if (device.deviceType === 'virtual')
      throw new UnprocessableError(
        `Device ${device.id} is a virtual meter: it stores no readings; ask /api/metrics/series, /api/metrics/summary or /api/energy for its computed values`,
      );
    const limit = q.limit ?? 1000;
    const r = range(q.from, q.to);
    const where = ['device_id = ?', r.sql];
    const params: unknown[] = [q.deviceId, ...r.params];
    if (q.metric) {
      where.push('metric = ?');
      params.push(q.metric);
    }
    if (q.cursor) {
      const after = decodeCursor(q.cursor);
      where.push('(ts > ? OR (ts = ? AND metric > ?))');
      params.push(after.ts, after.ts, after.metric);
    }
    const rows = await this.db.scan<{ metric: string; ts: number | string; value: number; source: string }>(
      `SELECT metric, ts, value, source FROM measurements WHERE ${where.join(' AND ')} ORDER BY ts, metric LIMIT ?`,
      [...params, limit + 1],
    );
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      items: page.map((row) => ({
        deviceId: q.deviceId,
        metric: row.metric,
        ts: new Date(Number(row.ts)).toISOString(),
        value: Number(row.value),
        source: row.source,
      })),
      nextCursor: rows.length > limit && last ? encodeCursor(Number(last.ts), last.metric) : null,
    };
  }

  /**
   * A chart's buckets: the step is the smallest clock-friendly width that gives at most `points`
   * buckets, and the values come from the coarsest rollup whose buckets fit the step exactly (raw
   * rows below a minute). Each point is a whole bucket, the first one being the bucket that holds
   * `from`; a bucket without values is absent, so a chart shows the gap.
   */
  async series(scope: ClientScope, q: SeriesQuery): Promise<SeriesResponse> {
    const device = await this.devices.get(scope, q.deviceId);
    if (device.deviceType === 'virtual') {
      await this.devices.assertVirtualInputs(scope, device);
      return this.virtualSeries(scope, device.config as unknown as VirtualMeterConfig, q);
    }
    await this.rollups.flushDevice(q.deviceId);
    const to = q.to ?? Date.now();
    const from = q.from ?? to - DAY_MS;
    range(from, to);
    const { timezone, retentionDays } = await this.clients.dataSettings(device.clientId);
    const step = chooseStep(from, to, q.points ?? 500, timezone, finestKept(from, retentionDays, Date.now()));
    let starts: number[] | null = null;
    let lo: number, hi: number;
    if (step.kind === 'days') {
      // Day buckets run past `to` to the end of the one that holds it (a day is at most 25 hours).
      const withNext = bucketStarts(step, from, to + step.days * 25 * 3_600_000);
      const next = withNext.findIndex((t) => t > to);
      starts = withNext.slice(0, next);
      [lo, hi] = [starts[0], withNext[next]];
    } else [lo, hi] = [alignDown(from, step.ms), alignDown(to, step.ms) + step.ms];
    const resolution = seriesResolution(step, starts);
    const placeholders = q.metrics.map(() => '?').join(',');
    const params = [q.deviceId, ...q.metrics, lo, hi];
    // Days group in SQL too while the time zone keeps one offset over the range (UTC, São Paulo, or a
    // range without a daylight-saving change): local days are then fixed-width buckets shifted by it.
    // Otherwise the database groups by the resolution and the days are gathered here.
    const shift = starts ? constantOffset(starts, hi, timezone) : 0;
    const width = step.kind === 'fixed' ? step.ms : shift !== null ? step.days * DAY_MS : (resolution.bucketMs ?? 60_000);
    if (shift !== null) starts = null;
    // Integers inlined (computed here, never from the caller's text) so both engines divide as integers.
    const key = (t: string) => (shift ? `(${t} + ${shift}) - (${t} + ${shift}) % ${width} - ${shift}` : `${t} - ${t} % ${width}`);
    const sql =
      resolution.bucketMs === null
        ? `SELECT metric, ${key('ts')} AS b, SUM(value) AS s, COUNT(*) AS n, MIN(value) AS min, MAX(value) AS max
           FROM measurements WHERE device_id = ? AND metric IN (${placeholders}) AND ts >= ? AND ts < ?
           GROUP BY metric, b ORDER BY metric, b`
        : `SELECT metric, ${key('bucket')} AS b, SUM(value_sum) AS s, SUM(value_count) AS n, MIN(value_min) AS min, MAX(value_max) AS max
           FROM rollups WHERE device_id = ? AND metric IN (${placeholders}) AND bucket_ms = ${resolution.bucketMs} AND bucket >= ? AND bucket < ?
           GROUP BY metric, b ORDER BY metric, b`;
    const rows = await this.db.scan<{ metric: string; b: number | string; s: number; n: number | string; min: number; max: number }>(sql, params);
    const byMetric = new Map(q.metrics.map((m) => [m, [] as Bucket[]]));
    for (const row of rows)
      byMetric.get(row.metric)?.push({ start: Number(row.b), sum: Number(row.s), count: Number(row.n), min: Number(row.min), max: Number(row.max) });
    if (starts) for (const [metric, buckets] of byMetric) byMetric.set(metric, regroup(buckets, starts));
    return {
      from: new Date(from).toISOString(),
      to: new Date(to).toISOString(),
      bucketMs: stepMs(step),
      resolution: resolution.name,
      timezone,
      series: q.metrics.map((metric) => ({
        metric,
        unit: metricUnit(metric) ?? '',
        points: (byMetric.get(metric) ?? []).map((b) => ({ t: new Date(b.start).toISOString(), avg: b.sum / b.count, min: b.min, max: b.max, count: b.count })),
      })),
    };
  }

  /**
   * Count, mean, σ, min and max over any range: whole rollup buckets inside it, raw rows for the
   * partial minutes at its edges (coverRange). Every piece gives sums shifted by one pivot, the
   * rollups through their moments (Σ(v − p)² = M2 + n(mean − p)²), so the result equals the
   * two-pass answer over the raw rows.
   */
  async summary(scope: ClientScope, q: SummaryQuery): Promise<SummaryResponse> {
    if ((q.lsl === undefined) !== (q.usl === undefined))
      throw InvalidInputError.forFields([{ field: q.lsl === undefined ? 'lsl' : 'usl', message: 'lsl and usl go together' }]);
    if (q.lsl !== undefined && q.usl !== undefined && q.lsl >= q.usl) throw InvalidInputError.forFields([{ field: 'lsl', message: 'must be below usl' }]);
    const device = await this.devices.get(scope, q.deviceId);
    if (device.deviceType === 'virtual') {
      await this.devices.assertVirtualInputs(scope, device);
      return this.virtualSummary(device.config as unknown as VirtualMeterConfig, q);
    }
    await this.rollups.flushDevice(q.deviceId);
    const { from, until } = openRange(q.from, q.to);
    const pieces = coverRange(from, until);
    const pivot = (await this.pivot(q.deviceId, q.metric, from, until)).y;
    const parts: string[] = [];
    const params: unknown[] = [];
    for (const piece of pieces) {
      if (piece.bucketMs === null) {
        parts.push(`SELECT COUNT(*) AS n, SUM(value - ?) AS s1, SUM((value - ?) * (value - ?)) AS s2, MIN(value) AS min, MAX(value) AS max
          FROM measurements WHERE device_id = ? AND metric = ? AND ts >= ? AND ts < ?`);
        params.push(pivot, pivot, pivot, q.deviceId, q.metric, piece.from, piece.until);
      } else {
        parts.push(`SELECT SUM(value_count) AS n, SUM(value_count * (value_mean - ?)) AS s1, SUM(value_m2 + value_count * (value_mean - ?) * (value_mean - ?)) AS s2, MIN(value_min) AS min, MAX(value_max) AS max
          FROM rollups WHERE device_id = ? AND metric = ? AND bucket_ms = ${piece.bucketMs} AND bucket >= ? AND bucket < ?`);
        params.push(pivot, pivot, pivot, q.deviceId, q.metric, piece.from, piece.until);
      }
    }
    let n = 0,
      s1 = 0,
      s2 = 0,
      min: number | null = null,
      max: number | null = null;
    if (parts.length) {
      for (const row of await this.db.scan(parts.join(' UNION ALL '), params)) {
        if (!num(row['n'])) continue;
        n += num(row['n']);
        s1 += num(row['s1']);
        s2 += num(row['s2']);
        min = min === null ? num(row['min']) : Math.min(min, num(row['min']));
        max = max === null ? num(row['max']) : Math.max(max, num(row['max']));
      }
    }
    const { mean, std } = meanAndSampleStd({ n, s1, s2, pivot });
    const defaultLimits = q.lsl === undefined;
    let sixSigma: SummaryResponse['sixSigma'] = { mean, std, lsl: q.lsl ?? null, usl: q.usl ?? null, cp: null, cpk: null, defaultLimits };
    if (mean !== null && std !== null) {
      const lsl = q.lsl ?? mean - 3 * std;
      const usl = q.usl ?? mean + 3 * std;
      sixSigma = { ...processCapability(mean, std, lsl, usl), defaultLimits };
    }
    return { count: n, mean, std, min, max, sixSigma };
  }

  /**
   * A virtual meter's chart: each input's series on the same buckets (one client, so one step),
   * and the expression evaluated on the bucket means where every input it reads has one.
   */
  private async virtualSeries(scope: ClientScope, config: VirtualMeterConfig, q: SeriesQuery): Promise<SeriesResponse> {
    const perInput = new Map<string, Set<string>>();
    const exprs = new Map(q.metrics.map((m) => [m, expressionOf(config, m)]));
    for (const e of exprs.values()) for (const r of e?.reads ?? []) (perInput.get(r.input) ?? perInput.set(r.input, new Set()).get(r.input))?.add(r.metric);
    const valuesByRead = new Map<string, Map<number, number>>();
    let shape: SeriesResponse | null = null;
    for (const [input, metrics] of perInput) {
      const res = await this.series(scope, { ...q, deviceId: config.inputs[input], metrics: [...metrics] });
      shape ??= res;
      for (const s of res.series) valuesByRead.set(`${input}.${s.metric}`, new Map(s.points.map((p) => [Date.parse(p.t), p.avg])));
    }
    const to = q.to ?? Date.now();
    const base = shape ?? {
      from: new Date(q.from ?? to - DAY_MS).toISOString(),
      to: new Date(to).toISOString(),
      bucketMs: 60_000,
      resolution: '1m' as const,
      timezone: 'UTC',
      series: [],
    };
    return {
      ...base,
      source: VIRTUAL_SOURCE,
      series: q.metrics.map((metric) => {
        const e = exprs.get(metric);
        const points = e ? evaluateAligned(e, valuesByRead) : [];
        return {
          metric,
          unit: metricUnit(metric) ?? '',
          points: points.map(({ t, v }) => ({ t: new Date(t).toISOString(), avg: v, min: v, max: v, count: 1 })),
        };
      }),
    };
  }

  /** A virtual meter's statistics over the 1-minute buckets of the range (each bucket one value of the expression). */
  private async virtualSummary(config: VirtualMeterConfig, q: SummaryQuery): Promise<SummaryResponse> {
    for (const id of Object.values(config.inputs)) await this.rollups.flushDevice(id);
    const { from, until } = openRange(q.from, q.to);
    const values = await virtualMinutes(this.db, config, q.metric, alignDown(from, 60_000), until);
    const pivot = values[0]?.v ?? 0;
    let s1 = 0,
      s2 = 0,
      min: number | null = null,
      max: number | null = null;
    for (const { v } of values) {
      s1 += v - pivot;
      s2 += (v - pivot) ** 2;
      if (min === null || v < min) min = v;
      if (max === null || v > max) max = v;
    }
    const { mean, std } = meanAndSampleStd({ n: values.length, s1, s2, pivot });
    const defaultLimits = q.lsl === undefined;
    let sixSigma: SummaryResponse['sixSigma'] = { mean, std, lsl: q.lsl ?? null, usl: q.usl ?? null, cp: null, cpk: null, defaultLimits };
    if (mean !== null && std !== null) sixSigma = { ...processCapability(mean, std, q.lsl ?? mean - 3 * std, q.usl ?? mean + 3 * std), defaultLimits };
    return { count: values.length, mean, std, min, max, sixSigma, source: VIRTUAL_SOURCE };
  }

  /**
   * Least squares. Against time, from rollups like the summary (each bucket keeps the moments of
   * its instants and the co-moment of instant and value); against another metric, from the raw
   * rows, where the two values of one reading are paired by their timestamp.
   */
  async linreg(scope: ClientScope, q: LinregQuery): Promise<LinregResponse> {
    await this.devices.get(scope, q.deviceId);
    const fit = q.x === 'time' ? await this.fitAgainstTime(q) : await this.fitAgainstMetric(q);
    if ('reason' in fit) throw new UnprocessableError(`Cannot fit ${q.y} against ${q.x}: ${fit.reason}`);
    return fit;
  }

  private async fitAgainstTime(q: LinregQuery) {
    await this.rollups.flushDevice(q.deviceId);
    const { from, until } = openRange(q.from, q.to);
    const p = await this.pivot(q.deviceId, q.y, from, until);
    // x is in seconds; the rollups keep instants in milliseconds.
    const x0 = p.tMs / 1000;
    const y0 = p.y;
    const parts: string[] = [];
    const params: unknown[] = [];
    for (const piece of coverRange(from, until)) {
      if (piece.bucketMs === null) {
        parts.push(`SELECT COUNT(*) AS n, SUM(ts / 1000.0 - ?) AS sx, SUM(value - ?) AS sy, SUM((ts / 1000.0 - ?) * (ts / 1000.0 - ?)) AS sxx,
          SUM((value - ?) * (value - ?)) AS syy, SUM((ts / 1000.0 - ?) * (value - ?)) AS sxy
          FROM measurements WHERE device_id = ? AND metric = ? AND ts >= ? AND ts < ?`);
      } else {
        parts.push(`SELECT SUM(value_count) AS n, SUM(value_count * (ts_mean / 1000.0 - ?)) AS sx, SUM(value_count * (value_mean - ?)) AS sy,
          SUM(ts_m2 / 1000000.0 + value_count * (ts_mean / 1000.0 - ?) * (ts_mean / 1000.0 - ?)) AS sxx,
          SUM(value_m2 + value_count * (value_mean - ?) * (value_mean - ?)) AS syy,
          SUM(ts_value_c / 1000.0 + value_count * (ts_mean / 1000.0 - ?) * (value_mean - ?)) AS sxy
          FROM rollups WHERE device_id = ? AND metric = ? AND bucket_ms = ${piece.bucketMs} AND bucket >= ? AND bucket < ?`);
      }
      params.push(x0, y0, x0, x0, y0, y0, x0, y0, q.deviceId, q.y, piece.from, piece.until);
    }
    const sums = { n: 0, sx: 0, sy: 0, sxx: 0, syy: 0, sxy: 0, x0, y0 };
    if (parts.length) {
      for (const row of await this.db.scan(parts.join(' UNION ALL '), params)) {
        for (const k of ['n', 'sx', 'sy', 'sxx', 'syy', 'sxy'] as const) sums[k] += num(row[k]);
      }
    }
    return linearFit(sums);
  }

  private async fitAgainstMetric(q: LinregQuery) {
    const r = range(q.from, q.to);
    // Two metrics of one device are paired by identical timestamps (one reading carries both).
    const pairs = `SELECT a.value AS x, b.value AS y FROM measurements a JOIN measurements b ON b.device_id = a.device_id AND b.metric = ? AND b.ts = a.ts
             WHERE a.device_id = ? AND a.metric = ? AND a.${r.sql.replace('AND ts', 'AND a.ts')}`;
    const params = [q.y, q.deviceId, q.x, ...r.params];
    const [first] = await this.db.scan<{ x: number; y: number }>(`${pairs} LIMIT 1`, params);
    const x0 = first ? Number(first.x) : 0;
    const y0 = first ? Number(first.y) : 0;
    const [s] = await this.db.scan(
      `SELECT COUNT(*) AS n, SUM(x - ?) AS sx, SUM(y - ?) AS sy, SUM((x - ?) * (x - ?)) AS sxx, SUM((y - ?) * (y - ?)) AS syy, SUM((x - ?) * (y - ?)) AS sxy FROM (${pairs}) p`,
      [x0, y0, x0, x0, y0, y0, x0, y0, ...params],
    );
    return linearFit({ n: num(s['n']), sx: num(s['sx']), sy: num(s['sy']), sxx: num(s['sxx']), syy: num(s['syy']), sxy: num(s['sxy']), x0, y0 });
  }

  /**
   * A value and an instant near the data of the range, by which sums are shifted so that squares do
   * not swallow the variance: the first hourly bucket's means, else the first raw value.
   */
  private async pivot(deviceId: number, metric: string, from: number, until: number): Promise<{ y: number; tMs: number }> {
    const [bucket] = await this.db.scan<{ y: number; t: number | string }>(
      `SELECT value_mean AS y, ts_mean AS t FROM rollups WHERE device_id = ? AND metric = ? AND bucket_ms = 3600000 AND bucket >= ? AND bucket < ? LIMIT 1`,
      [deviceId, metric, alignDown(from, 3_600_000), until],
    );
    if (bucket) return { y: Number(bucket.y), tMs: Math.round(Number(bucket.t)) };
    const [row] = await this.db.scan<{ y: number; t: number | string }>(
      `SELECT value AS y, ts AS t FROM measurements WHERE device_id = ? AND metric = ? AND ts >= ? AND ts < ? LIMIT 1`,
      [deviceId, metric, from, until],
    );
    return row ? { y: Number(row.y), tMs: Number(row.t) } : { y: 0, tMs: from };
  }
}

interface Bucket {
  start: number;
  sum: number;
  count: number;
  min: number;
  max: number;
}

/** The rollup to read for a step: the coarsest whose buckets tile the step's buckets exactly (raw rows below a minute). */
function seriesResolution(step: SeriesStep, dayStarts: number[] | null): { name: 'raw' | RollupResolution; bucketMs: number | null } {
  for (const r of [...ROLLUP_RESOLUTIONS].reverse()) {
    if (step.kind === 'fixed' ? step.ms % r.bucketMs === 0 : (dayStarts ?? []).every((t) => t % r.bucketMs === 0))
      return { name: r.name, bucketMs: r.bucketMs };
  }
  return { name: 'raw', bucketMs: null };
}

/**
 * The finest bucket a chart that starts at `from` can be drawn in: raw readings, then 1-minute and
 * 15-minute rollups, go when their retention ends, and a chart of last year at 5-minute steps would
 * otherwise be empty where 15-minute rollups still hold it.
 */
function finestKept(from: number, days: Record<Resolution, number | null>, now: number): number {
  for (const [resolution, widthMs] of [
    ['raw', 0],
    ['1m', 60_000],
    ['15m', 900_000],
  ] as const) {
    const cut = retentionCut(now, days[resolution]);
    if (cut === null || from >= cut) return widthMs;
  }
  return 3_600_000;
}

/** The time zone's offset when it is the same at every bucket start and at the end, else null. */
function constantOffset(starts: number[], end: number, timezone: string): number | null {
  if (timezone === 'UTC' || timezone === 'Etc/UTC') return 0;
  const offset = offsetAt(starts[0], timezone);
  return starts.every((t) => offsetAt(t, timezone) === offset) && offsetAt(end - 1, timezone) === offset ? offset : null;
}

/** Buckets (in time order) merged into the buckets that start at `starts` (local days). */
function regroup(buckets: Bucket[], starts: number[]): Bucket[] {
  const out: Bucket[] = [];
  let i = 0;
  for (const b of buckets) {
    while (i + 1 < starts.length && starts[i + 1] <= b.start) i++;
    const last = out[out.length - 1];
    if (last && last.start === starts[i]) {
      last.sum += b.sum;
      last.count += b.count;
      if (b.min < last.min) last.min = b.min;
      if (b.max > last.max) last.max = b.max;
    } else out.push({ ...b, start: starts[i] });
  }
  return out;
}

/** [from, to] inclusive as [from, until), with absent bounds open. */
function openRange(from: number | undefined, to: number | undefined): { from: number; until: number } {
  range(from, to);
  return { from: from ?? 0, until: (to ?? MAX_EPOCH_MS) + 1 };
}

function encodeCursor(ts: number, metric: string): string {
  return Buffer.from(`${ts}:${metric}`).toString('base64url');
}

function decodeCursor(cursor: string): { ts: number; metric: string } {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const m = /^(\d{1,16}):(.+)$/.exec(text);
  // A stored time is at most MAX_EPOCH_MS; a larger number would reach the database (PostgreSQL refuses it as a bigint: a 500).
  if (!m || Number(m[1]) > MAX_EPOCH_MS) throw InvalidInputError.forFields([{ field: 'cursor', message: 'is not a cursor this server gave out' }]);
  return { ts: Number(m[1]), metric: m[2] };
}
