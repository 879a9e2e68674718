/** What one MQTT message says about a device. */
export type MqttDecodeResult =
  /** Values in the system's units (W, Wh, V, A, Hz, var, VA); `timestamp` only when the payload carries its own time. */
  | { kind: 'reading'; timestamp?: number; metrics: Record<string, number> }
  /** The device said it is online or offline (Tasmota LWT, Shelly and Zigbee2MQTT availability). */
  | { kind: 'status'; online: boolean }
  /** A message of the device that carries no reading and is no fault (a Shelly event frame, say). */
  | { kind: 'ignored'; reason: string }
  /** A payload that does not parse or maps to no metric: counted against the device, never stored. */
  | { kind: 'rejected'; reason: string };

/** Reads the messages of one device; some formats keep state between messages (Shelly Gen2's last status). */
export interface MqttPayloadDecoder {
  /** Topics to subscribe to (may hold `+` for a channel number). */
  readonly topics: readonly string[];
  decode(topic: string, payload: Buffer | string): MqttDecodeResult;
}

export interface MqttDecodeOptions {
  /** IANA zone of the device's clock, for payload times written without an offset (Tasmota `Time`). */
  timeZone: string;
}

export const rejected = (reason: string): MqttDecodeResult => ({ kind: 'rejected', reason });

/** A finite number from a JSON number or a numeric string; undefined otherwise. */
export function toNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'string' && value.trim() !== '' && /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(value.trim())) {
    return Number(value.trim());
  }
  return undefined;
}

/** The payload as JSON, or a rejection saying why not. */
export function parseJsonPayload(payload: Buffer | string): { value: unknown } | { reason: string } {
  const text = typeof payload === 'string' ? payload : payload.toString('utf8');
  try {
    return { value: JSON.parse(text) };
  } catch {
    return { reason: 'payload is not JSON' };
  }
}

export const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Metrics of a reading, or a rejection when none was found. */
export function readingOrRejection(metrics: Record<string, number>, timestamp: number | undefined, emptyReason: string): MqttDecodeResult {
  if (Object.keys(metrics).length === 0) return rejected(emptyReason);
  return timestamp === undefined ? { kind: 'reading', metrics } : { kind: 'reading', timestamp, metrics };
}

/** Rounds away binary noise of a conversion (3.705 × 1000 = 3705.0000000000005) to 9 significant digits after the point. */
export const clean = (value: number): number => Number(value.toFixed(9));

/** Online/offline words devices publish on their availability topics. */
export function onlineWord(text: string): boolean | undefined {
  const word = text.trim().replace(/^"|"$/g, '').toLowerCase();
  if (word === 'online' || word === 'true' || word === '1') return true;
  if (word === 'offline' || word === 'false' || word === '0') return false;
  return undefined;
}
