/**
 * Energy per UTC-aligned 15-minute quarter from a meter's readings, without any framework: the
 * rules of issue 13 part 1, applied to a time-ordered sequence of bucket summaries (a raw reading is
 * a bucket whose first and last are the same value; the 1-minute rollups hold exactly these fields).
 *
 * A delta between readings at t1 and t2 is spread evenly over (t1, t2], so it splits across quarter
 * boundaries by time, and a reading exactly on 00:15 closes the 00:00 quarter: the quarter that
 * starts at Q holds the instants (Q, Q + 15 min].
 */
export const QUARTER_MS = 900_000;
const HOUR_MS = 3_600_000;

/** What a bucket of readings of one metric says (a 1-minute rollup, or one reading). */
export interface ReadingBucket {
  firstTs: number;
  first: number;
  lastTs: number;
  last: number;
  min: number;
  max: number;
  count: number;
  /** Sum of the values: needed to integrate power inside a bucket. */
  sum?: number;
}

/** Energy of a quarter and how much of it needed care. */
export interface QuarterTally {
  wh: number;
  resets: number;
  rollovers: number;
  spikes: number;
  /** Energy spread over a gap in the readings (part of wh). */
  interpolatedWh: number;
}

/**
 * Where a chain of readings stands: the reference reading the next delta is taken from, and what
 * the quarter holding it had counted when it became the reference. Recomputing from a stored state
 * restarts that quarter from `atRef`: the next delta spreads back into it from refTs on.
 */
export interface ChainState {
  refTs: number;
  refValue: number;
  atRef: QuarterTally;
}

/** A quarter's tally and the chain state at its end. */
export interface QuarterResult extends QuarterTally {
  quarter: number;
  state: ChainState;
}

export interface EnergySettings {
  /** Above this implied power a counter's rise is a spike, not energy. */
  maxPowerW: number;
  /** The device's poll interval: a gap is longer than max(3 × it, 15 min). */
  pollIntervalMs: number;
  /** The counter's register wraps to 0 at this value (PZEM-004T: 2^32 Wh); unknown when absent. */
  registerModulus?: number;
}

export const DEFAULT_MAX_POWER_W = 200_000;
/** A drop below this share of the previous reading is a reset; a smaller dip is jitter. */
const RESET_BELOW = 0.9;
/** A rollover goes from the top tenth of the register to its bottom tenth. */
const ROLLOVER_BAND = 0.1;

/** The quarter holding instant ts ((Q, Q + 15 min] belongs to Q). */
export const quarterOf = (ts: number) => alignQuarter(ts - 1);
const alignQuarter = (ts: number) => ts - (((ts % QUARTER_MS) + QUARTER_MS) % QUARTER_MS);
export const gapMs = (pollIntervalMs: number) => Math.max(3 * pollIntervalMs, QUARTER_MS);

const emptyTally = (): QuarterTally => ({ wh: 0, resets: 0, rollovers: 0, spikes: 0, interpolatedWh: 0 });
const copyTally = (t: QuarterTally): QuarterTally => ({
  wh: t.wh,
  resets: t.resets,
  rollovers: t.rollovers,
  spikes: t.spikes,
  interpolatedWh: t.interpolatedWh,
});

/** Quarters being tallied, each with the chain state at its end. */
class QuarterBook {
  private readonly tallies = new Map<number, QuarterTally & { state?: ChainState }>();

  constructor(start: ChainState | null) {
    if (start) this.tallies.set(quarterOf(start.refTs), { ...copyTally(start.atRef), state: start });
  }

  at(quarter: number): QuarterTally & { state?: ChainState } {
    let t = this.tallies.get(quarter);
    if (!t) this.tallies.set(quarter, (t = emptyTally()));
    return t;
  }

  /** Spreads wh evenly over (t1, t2]; quarters it crosses without a reading end with `before` as their state. */
  spread(t1: number, t2: number, wh: number, interpolated: boolean, before: ChainState): void {
    for (let start = t1; start < t2; ) {
      const q = alignQuarter(start);
      const end = Math.min(t2, q + QUARTER_MS);
      const t = this.at(q);
      const part = (wh * (end - start)) / (t2 - t1);
      t.wh += part;
      if (interpolated) t.interpolatedWh += part;
      // A quarter crossed without a reading ends where the chain stood before the delta (the reading's own quarter is set after).
      t.state ??= before;
      start = end;
    }
  }

  results(): QuarterResult[] {
    const quarters = [...this.tallies.keys()].sort((a, b) => a - b);
    const out: QuarterResult[] = [];
    let state: ChainState | undefined;
    for (const quarter of quarters) {
      const t = this.tallies.get(quarter) as QuarterTally & { state?: ChainState };
      state = t.state ?? state;
      if (!state) continue;
      out.push({ quarter, wh: t.wh, resets: t.resets, rollovers: t.rollovers, spikes: t.spikes, interpolatedWh: t.interpolatedWh, state });
    }
    return out;
  }
}

/**
 * Energy (Wh) per quarter from an energy counter (Wh): the rules of issue 13 part 1.
 * `start` continues a chain computed before (its quarter restarts from start.atRef).
 */
export function counterQuarters(buckets: Iterable<ReadingBucket>, settings: EnergySettings, start: ChainState | null = null): QuarterResult[] {
  const book = new QuarterBook(start);
  const gap = gapMs(settings.pollIntervalMs);
  const modulus = settings.registerModulus;
  let ref: ChainState | null = start;

  /** The state after a reading at ts, in the quarter holding ts. */
  const setRef = (refTs: number, refValue: number, ts: number) => {
    const q = book.at(quarterOf(ts));
    ref = { refTs, refValue, atRef: copyTally(q) };
    q.state = ref;
  };

  /** One reading after the reference; `peak` is the highest value seen since the reference (inside one bucket). */
  const reading = (ts: number, v: number, peak: number | null) => {
    if (!ref) return setRef(ts, v, ts);
    const { refTs, refValue } = ref;
    const dt = ts - refTs;
    if (dt <= 0) return;
    const before = ref;
    const count = (wh: number) => book.spread(refTs, ts, wh, dt > gap, before);
    const tally = book.at(quarterOf(ts));
    const impliedW = (wh: number) => wh / (dt / HOUR_MS);
    if (v >= refValue) {
      if (impliedW(v - refValue) > settings.maxPowerW) {
        // The reading before the spike stays the reference: 1,000, 999,999, 1,010 counts 10.
        tally.spikes++;
        tally.state = ref;
        return;
      }
      count(v - refValue);
      // A bucket that rose past what the power allows and came back holds a spike that was left out.
      if (peak !== null && impliedW(peak - refValue) > settings.maxPowerW) tally.spikes++;
      return setRef(ts, v, ts);
    }
    if (modulus && refValue >= (1 - ROLLOVER_BAND) * modulus && v <= ROLLOVER_BAND * modulus) {
      count(modulus - refValue + v);
      book.at(quarterOf(ts)).rollovers++;
      return setRef(ts, v, ts);
    }
    if (v < RESET_BELOW * refValue) {
      // The counter starts again from 0; inside a bucket what it rose to before the reset counts too.
      count((peak !== null && peak > refValue ? peak - refValue : 0) + v);
      book.at(quarterOf(ts)).resets++;
      return setRef(ts, v, ts);
    }
    // Jitter: nothing counted, the counter continues from the higher value.
    setRef(ts, refValue, ts);
  };

  for (const b of buckets) {
    reading(b.firstTs, b.first, null);
    if (b.lastTs > b.firstTs) {
      const fromFirst = ref !== null && (ref as ChainState).refTs === b.firstTs;
      reading(b.lastTs, b.last, fromFirst ? b.max : null);
    }
  }
  return book.results();
}

/**
 * Energy (Wh) per quarter from power readings (W), by trapezoids, never across a gap. Inside a
 * bucket of n ≥ 2 evenly spaced samples the trapezoids add up to Δt × (sum − (first + last) / 2).
 * The chain state's reference is the last sample.
 */
export function powerQuarters(buckets: Iterable<ReadingBucket>, settings: EnergySettings, start: ChainState | null = null): QuarterResult[] {
  const book = new QuarterBook(start);
  const gap = gapMs(settings.pollIntervalMs);
  let ref: ChainState | null = start;
  const setRef = (ts: number, w: number) => {
    const q = book.at(quarterOf(ts));
    ref = { refTs: ts, refValue: w, atRef: copyTally(q) };
    q.state = ref;
  };
  for (const b of buckets) {
    if (ref && b.firstTs > (ref as ChainState).refTs) {
      const { refTs, refValue } = ref as ChainState;
      const dt = b.firstTs - refTs;
      if (dt <= gap) book.spread(refTs, b.firstTs, ((refValue + b.first) / 2) * (dt / HOUR_MS), false, ref);
      setRef(b.firstTs, b.first);
    } else if (!ref) setRef(b.firstTs, b.first);
    if (b.count >= 2 && b.lastTs > b.firstTs && b.lastTs > (ref as ChainState).refTs && b.sum !== undefined) {
      const step = (b.lastTs - b.firstTs) / (b.count - 1);
      const wh = (step * (b.sum - (b.first + b.last) / 2)) / HOUR_MS;
      book.spread(b.firstTs, b.lastTs, wh, false, ref as ChainState);
      setRef(b.lastTs, b.last);
    }
  }
  return book.results();
}
