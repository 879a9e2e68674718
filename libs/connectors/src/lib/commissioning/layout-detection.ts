import { decodeRaw, REGISTER_WIDTH, WORD_ORDERS, type RegisterType, type WordOrder } from '../modbus/register-codec';

/** The types layout detection tries (64-bit integers are left out: no meter sends a reading that way, and they fit any range). */
export const DETECTION_TYPES = ['int16', 'uint16', 'int32', 'uint32', 'float32', 'float64'] as const satisfies readonly RegisterType[];
/** Scales tried, from the least rescaling to the most ("the smallest scaling" wins a tie). */
export const DETECTION_SCALES = [1, 0.1, 0.01, 0.001] as const;

/** One register block as read from the meter: the words from its address on (1 to 4 of them). */
export interface DetectionBlock {
  metric: string;
  words: readonly number[];
  /** The type the driver or register map declares for this metric, if any (wins a tie). */
  declaredType?: RegisterType;
}

export interface LayoutCandidate {
  type: RegisterType;
  order: WordOrder;
  scale: number;
  value: number;
  /**
   * How many of the request's registers fall in their expected range when decoded with this type
   * and word order (each at its best scale): a meter uses one layout for its values, so a decoding
   * that only fits this register is less likely than one that fits them all.
   */
  layoutVotes: number;
}

export interface BlockRanking {
  metric: string;
  range: readonly [number, number];
  /** The best candidates whose value falls in the range, best first (at most `top`). */
  candidates: LayoutCandidate[];
}

const orderIndex = (order: WordOrder) => WORD_ORDERS.indexOf(order);
const typeIndex = (type: RegisterType) => (DETECTION_TYPES as readonly RegisterType[]).indexOf(type);

/**
 * Every decoding of a block: each type whose width the words cover, in each word order (for a
 * 16-bit type only the byte swap matters, so ABCD = CDAB and BADC = DCBA: one of each), at each scale.
 */
export function blockDecodings(words: readonly number[]): Array<Omit<LayoutCandidate, 'layoutVotes'>> {
  const out: Array<Omit<LayoutCandidate, 'layoutVotes'>> = [];
  for (const type of DETECTION_TYPES) {
    const width = REGISTER_WIDTH[type];
    if (words.length < width) continue;
    const orders: readonly WordOrder[] = width === 1 ? ['ABCD', 'BADC'] : WORD_ORDERS;
    for (const order of orders) {
      const raw = Number(decodeRaw(words.slice(0, width), type, order));
      if (!Number.isFinite(raw)) continue;
      // raw / 10 rather than raw * 0.1, as applyScale does: 2302 * 0.1 is 230.20000000000002.
      for (const scale of DETECTION_SCALES) out.push({ type, order, scale, value: scale === 1 ? raw : raw / Math.round(1 / scale) });
    }
  }
  return out;
}

const inRange = (value: number, [min, max]: readonly [number, number]) => value >= min && value <= max;

/**
 * Ranks the candidate decodings of each block (PROTOCOLS.md "Generic register maps"): only the
 * ones whose value falls in the metric's expected range count; among them, the layout that fits
 * most of the request's registers first, then the type the map declares for the metric, then
 * float32 ABCD (the Modbus convention), then the smallest scaling (1 before 0.1 before 0.01 ...),
 * then the order of DETECTION_TYPES and WORD_ORDERS, so that the answer never depends on chance.
 */
export function rankLayouts(blocks: readonly DetectionBlock[], ranges: ReadonlyArray<readonly [number, number]>, top = 3): BlockRanking[] {
  const decoded = blocks.map((block, i) => blockDecodings(block.words).filter((c) => inRange(c.value, ranges[i])));
  const votes = new Map<string, number>();
  for (const list of decoded) {
    for (const layout of new Set(list.map((c) => `${c.type}/${c.order}`))) votes.set(layout, (votes.get(layout) ?? 0) + 1);
  }
  return blocks.map((block, i) => {
    const candidates = decoded[i].map((c) => ({ ...c, layoutVotes: votes.get(`${c.type}/${c.order}`) ?? 0 }));
    const declared = (c: LayoutCandidate) => (block.declaredType !== undefined && c.type === block.declaredType ? 0 : 1);
    const conventional = (c: LayoutCandidate) => (c.type === 'float32' && c.order === 'ABCD' ? 0 : 1);
    candidates.sort(
      (a, b) =>
        b.layoutVotes - a.layoutVotes ||
        declared(a) - declared(b) ||
        conventional(a) - conventional(b) ||
        b.scale - a.scale ||
        typeIndex(a.type) - typeIndex(b.type) ||
        orderIndex(a.order) - orderIndex(b.order),
    );
    return { metric: block.metric, range: ranges[i], candidates: candidates.slice(0, top) };
  });
}
