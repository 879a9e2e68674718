import { wallTimeToEpoch } from './local-time';
import {
  MqttDecodeOptions,
  MqttDecodeResult,
  MqttPayloadDecoder,
  clean,
  isObject,
  onlineWord,
  parseJsonPayload,
  readingOrRejection,
  rejected,
  toNumber,
} from './mqtt-message';

/** Tasmota ENERGY keys → metric and factor to the system's unit (Total, ExportActive kWh → Wh). */
const ENERGY_KEYS: ReadonlyArray<[key: string, metric: string, factor: number]> = [
  ['Total', 'energy', 1000],
  ['ExportActive', 'exportEnergy', 1000],
  ['Power', 'power', 1],
  ['ApparentPower', 'apparentPower', 1],
  ['ReactivePower', 'reactivePower', 1],
  ['Factor', 'powerFactor', 1],
  ['Voltage', 'voltage', 1],
  ['Current', 'current', 1],
  ['Frequency', 'frequency', 1],
];
/** Summed over phases as well as kept per phase. */
const SUMMED = new Set(['energy', 'exportEnergy', 'power', 'apparentPower', 'reactivePower']);

/**
 * Tasmota: `tele/<topic>/SENSOR` telemetry with an ENERGY object, `tele/<topic>/LWT` Online/Offline.
 * `Time` is the device's local time without an offset. Multi-phase devices send arrays: each phase
 * becomes `<metric>L<n>`, and powers and energies are also summed into the plain metric.
 */
export function tasmotaDecoder(topic: string, options: MqttDecodeOptions): MqttPayloadDecoder {
  const sensor = `tele/${topic}/SENSOR`;
  const lwt = `tele/${topic}/LWT`;
  return {
    topics: [sensor, lwt],
    decode(messageTopic, payload): MqttDecodeResult {
      const text = typeof payload === 'string' ? payload : payload.toString('utf8');
      if (messageTopic === lwt) {
        const online = onlineWord(text);
        return online === undefined ? rejected(`LWT payload ${JSON.stringify(text.slice(0, 40))} is neither Online nor Offline`) : { kind: 'status', online };
      }
      if (messageTopic !== sensor) return { kind: 'ignored', reason: `not a Tasmota telemetry topic: ${messageTopic}` };
      const parsed = parseJsonPayload(text);
      if ('reason' in parsed) return rejected(parsed.reason);
      if (!isObject(parsed.value)) return rejected('SENSOR payload is not a JSON object');
      const energy = parsed.value['ENERGY'];
      if (!isObject(energy)) return rejected('SENSOR payload has no ENERGY object');
      const metrics: Record<string, number> = {};
      for (const [key, metric, factor] of ENERGY_KEYS) {
        const value = energy[key];
        if (Array.isArray(value)) {
          let sum = 0;
          let all = true;
          value.forEach((v, i) => {
            const n = toNumber(v);
            if (n === undefined) all = false;
            else {
              metrics[`${metric}L${i + 1}`] = clean(n * factor);
              sum += n;
            }
          });
          if (all && value.length > 0 && SUMMED.has(metric)) metrics[metric] = clean(sum * factor);
        } else {
          const n = toNumber(value);
          if (n !== undefined) metrics[metric] = clean(n * factor);
        }
      }
      let timestamp: number | undefined;
      const time = parsed.value['Time'];
      if (time !== undefined) {
        if (typeof time !== 'string') return rejected('Time is not a text such as 2022-01-11T21:57:38');
        timestamp = /(Z|[+-]\d{2}:?\d{2})$/.test(time) ? Date.parse(time) : wallTimeToEpoch(time, options.timeZone);
        if (timestamp === undefined || Number.isNaN(timestamp)) return rejected(`Time ${JSON.stringify(time.slice(0, 40))} is not a date and time`);
      }
      return readingOrRejection(metrics, timestamp, 'ENERGY has none of Total, Power, Voltage, Current, ...');
    },
  };
}
