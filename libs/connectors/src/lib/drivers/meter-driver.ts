import type { ReadRequest, RegisterImage } from '../modbus/read-planner';

/** Metrics keyed by name (libs/shared METRICS), in canonical units. */
export type MetricValues = Record<string, number>;

/**
 * A meter model: which registers one reading needs and how to turn them into metrics.
 * Drivers never touch a transport; FieldBus runs their requests and hands back the words.
 */
export interface MeterDriver {
  readonly name: string;
  /** The requests of one reading, in the order they are sent. */
  readonly requests: readonly ReadRequest[];
  decode(image: RegisterImage): MetricValues;
}

/** Bytes on the wire of an RTU read request and its reply (for line timing). */
export function rtuReadFrameBytes(request: ReadRequest): { requestBytes: number; replyBytes: number } {
  // request: addr, fc, start(2), qty(2), crc(2); reply: addr, fc, byteCount, data, crc(2)
  return { requestBytes: 8, replyBytes: 5 + request.quantity * 2 };
}
