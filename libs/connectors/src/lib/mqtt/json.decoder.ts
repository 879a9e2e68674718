import { wallTimeToEpoch } from './local-time';
import { JsonPathStep, MqttMappingEntry, parseJsonPath, valueAtPath } from './mqtt-config';
import { MqttDecodeOptions, MqttDecodeResult, MqttPayloadDecoder, clean, parseJsonPayload, readingOrRejection, rejected, toNumber } from './mqtt-message';

/** Epoch seconds below this are seconds, at or above it milliseconds (1e11 s is the year 5138). */
const SECONDS_LIMIT = 1e11;

/**
 * Any JSON payload on one topic: each mapping entry reads the number at its path (value × scale + offset).
 * The optional timestamp path holds epoch seconds, epoch milliseconds, or ISO 8601 (without an
 * offset it is read in the device's time zone).
 */
export function jsonDecoder(
  topic: string,
  mapping: readonly MqttMappingEntry[],
  timestampPath: string | undefined,
  options: MqttDecodeOptions,
): MqttPayloadDecoder {
  const entries = mapping.map((entry) => ({ ...entry, steps: parseJsonPath(entry.path) as JsonPathStep[] }));
  const timeSteps = timestampPath === undefined ? undefined : parseJsonPath(timestampPath);
  if (entries.some((e) => !e.steps) || (timestampPath !== undefined && !timeSteps)) throw new Error('json decoder needs validated paths');
  return {
    topics: [topic],
    decode(messageTopic, payload): MqttDecodeResult {
      if (messageTopic !== topic) return { kind: 'ignored', reason: `not this device's topic: ${messageTopic}` };
      const parsed = parseJsonPayload(payload);
      if ('reason' in parsed) return rejected(parsed.reason);
      const metrics: Record<string, number> = {};
      for (const entry of entries) {
        const value = toNumber(valueAtPath(parsed.value, entry.steps));
        if (value !== undefined) metrics[entry.metric] = clean(value * entry.scale + entry.offset);
      }
      let timestamp: number | undefined;
      if (timeSteps) {
        const raw = valueAtPath(parsed.value, timeSteps);
        const number = toNumber(raw);
        if (number !== undefined) timestamp = Math.round(number < SECONDS_LIMIT ? number * 1000 : number);
        else if (typeof raw === 'string') {
          timestamp = /(Z|[+-]\d{2}:?\d{2})$/i.test(raw) ? Date.parse(raw) : wallTimeToEpoch(raw, options.timeZone);
          if (timestamp === undefined || Number.isNaN(timestamp)) return rejected(`${timestampPath} ${JSON.stringify(raw.slice(0, 40))} is not a time`);
        } else return rejected(`${timestampPath} is missing or not a time`);
      }
      return readingOrRejection(metrics, timestamp, `none of the mapped paths (${entries.map((e) => e.path).join(', ')}) holds a number`);
    },
  };
}
