import type { Database } from '../database/database.service';
import type { EnergyResponse } from '../energy/dto/energy.responses';
import { UnprocessableError } from '../common/domain-errors';
import { CompiledExpression, compileExpression } from './virtual-meter-expression';

/**
 * Virtual meters evaluated on aligned buckets (issue 18 part 1): each query reads its inputs' stored
 * data (1-minute rollups, chart buckets or energy intervals) and evaluates the metric's expression
 * bucket by bucket; a bucket where an input has no value has no result. Nothing is ever written.
 */
export interface VirtualMeterConfig {
  inputs: Record<string, number>;
  metrics: Record<string, string>;
}

export const VIRTUAL_SOURCE = 'virtual';

const cache = new Map<string, CompiledExpression>();

/** The compiled expression of one metric (kept by its text: saved expressions were checked, so this only parses again after a restart). */
export function expressionOf(config: VirtualMeterConfig, metric: string): CompiledExpression | null {
  const text = config.metrics?.[metric];
  if (typeof text !== 'string') return null;
  const key = `${Object.keys(config.inputs).join(',')}|${text}`;
  let e = cache.get(key);
  if (!e) {
    e = compileExpression(text, Object.keys(config.inputs));
    if (cache.size > 1000) cache.clear();
    cache.set(key, e);
  }
  return e;
}

/** Aligned evaluation: for each bucket start where every read has a value, the expression's value. */
export function evaluateAligned(expr: CompiledExpression, valuesByRead: Map<string, Map<number, number>>): Array<{ t: number; v: number }> {
  const reads = expr.reads;
  if (!reads.length) return [];
  const first = valuesByRead.get(`${reads[0].input}.${reads[0].metric}`) ?? new Map<number, number>();
  const out: Array<{ t: number; v: number }> = [];
  const scope: Record<string, Record<string, number | undefined>> = {};
  for (const r of reads) scope[r.input] ??= {};
  const times = [...first.keys()].sort((a, b) => a - b);
  for (const t of times) {
    for (const r of reads) scope[r.input][r.metric] = valuesByRead.get(`${r.input}.${r.metric}`)?.get(t);
    const v = expr.evaluate(scope);
    if (v !== null) out.push({ t, v });
  }
  return out;
}

/** A virtual metric's values on the 1-minute rollup buckets of [from, until) (each input bucket's mean). */
export async function virtualMinutes(
  db: Database,
  config: VirtualMeterConfig,
  metric: string,
  from: number,
  until: number,
): Promise<Array<{ t: number; v: number }>> {
  const expr = expressionOf(config, metric);
  if (!expr) return [];
  const valuesByRead = new Map<string, Map<number, number>>();
  for (const r of expr.reads) {
    const rows = await db.scan<{ b: number | string; s: number; n: number | string }>(
      'SELECT bucket AS b, value_sum AS s, value_count AS n FROM rollups WHERE device_id = ? AND metric = ? AND bucket_ms = 60000 AND bucket >= ? AND bucket < ?',
      [config.inputs[r.input], r.metric, from, until],
    );
    const m = new Map<number, number>();
    for (const row of rows) m.set(Number(row.b), Number(row.s) / Number(row.n));
    valuesByRead.set(`${r.input}.${r.metric}`, m);
  }
  return evaluateAligned(expr, valuesByRead);
}

/**
 * A virtual meter's energy per interval: its `energy` expression evaluated on each input's energy of
 * the interval (kWh), which for sums and differences of meters is the energy of the sum or difference.
 */
export async function virtualEnergy(
  config: VirtualMeterConfig,
  deviceId: number,
  energyOf: (inputId: number) => Promise<EnergyResponse>,
): Promise<EnergyResponse> {
  const expr = expressionOf(config, 'energy');
  if (!expr)
    throw new UnprocessableError(`Virtual device ${deviceId} has no energy expression (config.metrics.energy), e.g. "main.energy - (a.energy + b.energy)"`);
  const byInput = new Map<string, EnergyResponse>();
  for (const r of expr.reads) if (!byInput.has(r.input)) byInput.set(r.input, await energyOf(config.inputs[r.input]));
  const base = byInput.get(expr.reads[0].input) as EnergyResponse;
  const scope: Record<string, Record<string, number | undefined>> = {};
  let total = 0;
  const intervals = base.intervals.map((iv, k) => {
    for (const [name, res] of byInput) scope[name] = { energy: res.intervals[k]?.kWh ?? undefined };
    const kWh = expr.evaluate(scope);
    if (kWh !== null) total += kWh;
    return { start: iv.start, end: iv.end, kWh };
  });
  return {
    unit: 'kWh',
    timezone: base.timezone,
    interval: base.interval,
    intervals,
    total: { kWh: total },
    quality: { resets: 0, rollovers: 0, spikes: 0, interpolatedKWh: 0 },
    source: VIRTUAL_SOURCE,
  } as EnergyResponse;
}
