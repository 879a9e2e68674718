import type { RegisterFunction } from './register-codec';

/** A span of registers one value needs. */
export interface RegisterSpan {
  function: RegisterFunction;
  address: number;
  /** Number of 16-bit registers. */
  quantity: number;
}

/** One Modbus read request (FC 3 or 4). */
export interface ReadRequest {
  function: RegisterFunction;
  address: number;
  quantity: number;
}

export interface ReadPlanOptions {
  /** Largest request, in registers. The Modbus limit is 125; many meters accept fewer. */
  maxRegistersPerRequest?: number;
  /**
   * Largest run of unwanted registers read through to save a request. Reading a few
   * spare registers costs 2 bytes each on the wire; a separate request costs a
   * whole frame plus two inter-frame silences, so small gaps are worth bridging.
   */
  maxGap?: number;
}

export const MODBUS_MAX_READ_REGISTERS = 125;
export const DEFAULT_MAX_GAP = 10;

/**
 * ReadPlanner: merges the spans a driver needs into as few requests as the limits allow.
 * Function codes are planned separately (holding and input registers are different
 * address spaces). The result is sorted by function code, then address.
 */
export class ReadPlanner {
  readonly maxRegistersPerRequest: number;
  readonly maxGap: number;

  constructor(options: ReadPlanOptions = {}) {
    this.maxRegistersPerRequest = options.maxRegistersPerRequest ?? MODBUS_MAX_READ_REGISTERS;
    this.maxGap = options.maxGap ?? DEFAULT_MAX_GAP;
    if (!Number.isInteger(this.maxRegistersPerRequest) || this.maxRegistersPerRequest < 1 || this.maxRegistersPerRequest > MODBUS_MAX_READ_REGISTERS) {
      throw new Error(`maxRegistersPerRequest must be an integer from 1 to ${MODBUS_MAX_READ_REGISTERS}`);
    }
    if (!Number.isInteger(this.maxGap) || this.maxGap < 0) {
      throw new Error('maxGap must be a non-negative integer');
    }
  }

  plan(spans: readonly RegisterSpan[]): ReadRequest[] {
    const requests: ReadRequest[] = [];
    for (const fc of [3, 4] as const) {
      const sorted = spans.filter((span) => span.function === fc).sort((a, b) => a.address - b.address || b.quantity - a.quantity);
      let current: { start: number; end: number } | undefined; // end is exclusive
      for (const span of sorted) {
        if (span.quantity > this.maxRegistersPerRequest) {
          throw new Error(`a value of ${span.quantity} registers at ${span.address} does not fit in requests of ${this.maxRegistersPerRequest}`);
        }
        const spanEnd = span.address + span.quantity;
        if (current) {
          const gap = span.address - current.end;
          const mergedEnd = Math.max(current.end, spanEnd);
          if (gap <= this.maxGap && mergedEnd - current.start <= this.maxRegistersPerRequest) {
            current.end = mergedEnd;
            continue;
          }
          requests.push({ function: fc, address: current.start, quantity: current.end - current.start });
        }
        current = { start: span.address, end: spanEnd };
      }
      if (current) requests.push({ function: fc, address: current.start, quantity: current.end - current.start });
    }
    return requests;
  }
}

/**
 * The registers a set of requests returned, addressable by function code and address,
 * so decoders do not care how the reads were merged.
 */
export class RegisterImage {
  private readonly words = new Map<number, number>();

  static fromResponses(requests: readonly ReadRequest[], responses: readonly (readonly number[])[]): RegisterImage {
    const image = new RegisterImage();
    requests.forEach((request, index) => {
      const data = responses[index];
      if (!data || data.length < request.quantity) {
        throw new Error(`short reply: asked for ${request.quantity} registers at ${request.address}, got ${data?.length ?? 0}`);
      }
      for (let offset = 0; offset < request.quantity; offset++) {
        image.set(request.function, request.address + offset, data[offset]);
      }
    });
    return image;
  }

  set(fc: RegisterFunction, address: number, word: number): void {
    this.words.set(fc * 0x10000 + address, word & 0xffff);
  }

  /** The words of one value; throws if the plan did not read them (a driver bug). */
  get(fc: RegisterFunction, address: number, quantity: number): number[] {
    const out: number[] = [];
    for (let offset = 0; offset < quantity; offset++) {
      const word = this.words.get(fc * 0x10000 + address + offset);
      if (word === undefined) throw new Error(`register ${address + offset} (FC${fc}) was not read`);
      out.push(word);
    }
    return out;
  }
}
