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

const DAY_MS = 86_400_000;
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
  ) {}

  async raw(scope: ClientScope, q: RawMetricsQuery): Promise<MeasurementPage> {
    await this.devices.get(scope, q.deviceId);
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
      items: page.map((row) => ({ deviceId: q.deviceId, metric: row.metric, ts: new Date(Number(row.ts)).toISOString(), value: Number(row.value), source: row.source })),
      nextCursor: rows.length > limit && last ? encodeCursor(Number(last.ts), last.metric) : null,
    };
  }

  async series(scope: ClientScope, q: SeriesQuery): Promise<SeriesResponse> {
    await this.devices.get(scope, q.deviceId);
    const to = q.to ?? Date.now();
    const from = q.from ?? to - DAY_MS;
    range(from, to);
    const points = q.points ?? 500;
    const bucketMs = Math.max(1, Math.ceil((to - from + 1) / points));
    const placeholders = q.metrics.map(() => '?').join(',');
    const rows = await this.db.scan<{ metric: string; b: number | string; avg: number; min: number; max: number; n: number | string }>(
      // Integers inlined (both computed here, never from the caller's text) so both engines divide as integers.
      `SELECT metric, (ts - ${Math.trunc(from)}) / ${bucketMs} AS b, AVG(value) AS avg, MIN(value) AS min, MAX(value) AS max, COUNT(*) AS n
       FROM measurements WHERE device_id = ? AND metric IN (${placeholders}) AND ts >= ? AND ts <= ?
       GROUP BY metric, b ORDER BY metric, b`,
      [q.deviceId, ...q.metrics, from, to],
    );
    const byMetric = new Map(q.metrics.map((m) => [m, [] as SeriesResponse['series'][number]['points']]));
    for (const row of rows) {
      byMetric.get(row.metric)?.push({
        t: new Date(from + Math.floor(Number(row.b)) * bucketMs).toISOString(),
        avg: Number(row.avg),
        min: Number(row.min),
        max: Number(row.max),
        count: Number(row.n),
      });
    }
    return {
      from: new Date(from).toISOString(),
      to: new Date(to).toISOString(),
      bucketMs,
      series: q.metrics.map((metric) => ({ metric, unit: metricUnit(metric) ?? '', points: byMetric.get(metric) ?? [] })),
    };
  }

  async summary(scope: ClientScope, q: SummaryQuery): Promise<SummaryResponse> {
    if ((q.lsl === undefined) !== (q.usl === undefined)) throw InvalidInputError.forFields([{ field: q.lsl === undefined ? 'lsl' : 'usl', message: 'lsl and usl go together' }]);
    if (q.lsl !== undefined && q.usl !== undefined && q.lsl >= q.usl) throw InvalidInputError.forFields([{ field: 'lsl', message: 'must be below usl' }]);
    await this.devices.get(scope, q.deviceId);
    const r = range(q.from, q.to);
    const params = [q.deviceId, q.metric, ...r.params];
    const [first] = await this.db.scan<{ value: number }>(`SELECT value FROM measurements WHERE device_id = ? AND metric = ? AND ${r.sql} LIMIT 1`, params);
    const pivot = first ? Number(first.value) : 0;
    const [agg] = await this.db.scan(
      `SELECT COUNT(*) AS n, SUM(value - ?) AS s1, SUM((value - ?) * (value - ?)) AS s2, MIN(value) AS min, MAX(value) AS max
       FROM measurements WHERE device_id = ? AND metric = ? AND ${r.sql}`,
      [pivot, pivot, pivot, ...params],
    );
    const n = num(agg['n']);
    const { mean, std } = meanAndSampleStd({ n, s1: num(agg['s1']), s2: num(agg['s2']), pivot });
    const defaultLimits = q.lsl === undefined;
    let sixSigma: SummaryResponse['sixSigma'] = { mean, std, lsl: q.lsl ?? null, usl: q.usl ?? null, cp: null, cpk: null, defaultLimits };
    if (mean !== null && std !== null) {
      const lsl = q.lsl ?? mean - 3 * std;
      const usl = q.usl ?? mean + 3 * std;
      sixSigma = { ...processCapability(mean, std, lsl, usl), defaultLimits };
    }
    return { count: n, mean, std, min: n ? Number(agg['min']) : null, max: n ? Number(agg['max']) : null, sixSigma };
  }

  async linreg(scope: ClientScope, q: LinregQuery): Promise<LinregResponse> {
    await this.devices.get(scope, q.deviceId);
    const r = range(q.from, q.to);
    let pairs: string;
    let params: unknown[];
    if (q.x === 'time') {
      pairs = `SELECT ts / 1000.0 AS x, value AS y FROM measurements WHERE device_id = ? AND metric = ? AND ${r.sql}`;
      params = [q.deviceId, q.y, ...r.params];
    } else {
      // Two metrics of one device are paired by identical timestamps (one reading carries both).
      pairs = `SELECT a.value AS x, b.value AS y FROM measurements a JOIN measurements b ON b.device_id = a.device_id AND b.metric = ? AND b.ts = a.ts
               WHERE a.device_id = ? AND a.metric = ? AND a.${r.sql.replace('AND ts', 'AND a.ts')}`;
      params = [q.y, q.deviceId, q.x, ...r.params];
    }
    const [first] = await this.db.scan<{ x: number; y: number }>(`${pairs} LIMIT 1`, params);
    const x0 = first ? Number(first.x) : 0;
    const y0 = first ? Number(first.y) : 0;
    const [s] = await this.db.scan(
      `SELECT COUNT(*) AS n, SUM(x - ?) AS sx, SUM(y - ?) AS sy, SUM((x - ?) * (x - ?)) AS sxx, SUM((y - ?) * (y - ?)) AS syy, SUM((x - ?) * (y - ?)) AS sxy FROM (${pairs}) p`,
      [x0, y0, x0, x0, y0, y0, x0, y0, ...params],
    );
    const fit = linearFit({ n: num(s['n']), sx: num(s['sx']), sy: num(s['sy']), sxx: num(s['sxx']), syy: num(s['syy']), sxy: num(s['sxy']), x0, y0 });
    if ('reason' in fit) throw new UnprocessableError(`Cannot fit ${q.y} against ${q.x}: ${fit.reason}`);
    return fit;
  }
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
