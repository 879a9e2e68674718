/**
 * What a rollup bucket keeps of the values that fell into it: enough for the exact count, sum,
 * min, max, first and last value, mean and sample σ of any union of buckets. Mean and σ are kept
 * as mergeable moments (count, mean, M2 = Σ(v − mean)²): Welford's update adds one value, Chan's
 * formula merges two buckets, and neither squares a raw value, so 230.0 ± 0.01 V keeps its σ.
 * The same moments of the time (mean instant, Σ(t − t̄)² and the co-moment Σ(t − t̄)(v − v̄)) make
 * the least-squares line of a metric against time exact from rollups too.
 */
export interface BucketMoments {
  count: number;
  sum: number;
  min: number;
  max: number;
  mean: number;
  m2: number;
  /** Mean instant of the values, epoch ms. */
  tsMean: number;
  /** Σ(t − t̄)², ms². */
  tsM2: number;
  /** Σ(t − t̄)(v − v̄), ms × unit. */
  tsValueC: number;
  firstTs: number;
  firstValue: number;
  lastTs: number;
  lastValue: number;
}

export function momentsOf(ts: number, value: number): BucketMoments {
  return {
    count: 1,
    sum: value,
    min: value,
    max: value,
    mean: value,
    m2: 0,
    tsMean: ts,
    tsM2: 0,
    tsValueC: 0,
    firstTs: ts,
    firstValue: value,
    lastTs: ts,
    lastValue: value,
  };
}

/** Adds one value (Welford). Values may come in any time order. */
export function addValue(b: BucketMoments, ts: number, value: number): void {
  b.count += 1;
  b.sum += value;
  if (value < b.min) b.min = value;
  if (value > b.max) b.max = value;
  const delta = value - b.mean;
  const deltaT = ts - b.tsMean;
  b.mean += delta / b.count;
  b.tsMean += deltaT / b.count;
  b.m2 += delta * (value - b.mean);
  b.tsM2 += deltaT * (ts - b.tsMean);
  b.tsValueC += deltaT * (value - b.mean);
  if (ts < b.firstTs) {
    b.firstTs = ts;
    b.firstValue = value;
  }
  if (ts > b.lastTs) {
    b.lastTs = ts;
    b.lastValue = value;
  }
}

/** Merges b into a (Chan et al.); the SQL upsert in RollupStore does the same in the database. */
export function mergeMoments(a: BucketMoments, b: BucketMoments): void {
  const count = a.count + b.count;
  const delta = b.mean - a.mean;
  const deltaT = b.tsMean - a.tsMean;
  const weight = (a.count * b.count) / count;
  a.m2 += b.m2 + delta * delta * weight;
  a.tsM2 += b.tsM2 + deltaT * deltaT * weight;
  a.tsValueC += b.tsValueC + deltaT * delta * weight;
  a.mean += (delta * b.count) / count;
  a.tsMean += (deltaT * b.count) / count;
  a.count = count;
  a.sum += b.sum;
  if (b.min < a.min) a.min = b.min;
  if (b.max > a.max) a.max = b.max;
  if (b.firstTs < a.firstTs) {
    a.firstTs = b.firstTs;
    a.firstValue = b.firstValue;
  }
  if (b.lastTs > a.lastTs) {
    a.lastTs = b.lastTs;
    a.lastValue = b.lastValue;
  }
}
