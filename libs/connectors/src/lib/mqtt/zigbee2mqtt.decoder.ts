import { MqttDecodeResult, MqttPayloadDecoder, clean, isObject, onlineWord, parseJsonPayload, readingOrRejection, rejected, toNumber } from './mqtt-message';

/**
 * Zigbee2MQTT: `zigbee2mqtt/<friendly_name>` `{"power": W, "energy": kWh, "voltage": V, "current": A}`;
 * energy becomes Wh (× 1000) times the device's `energyScale` (some TS011F plugs report it 10× too small).
 * `zigbee2mqtt/<friendly_name>/availability` (`online`/`offline`, or `{"state": ...}`) is the device's availability.
 */
export function zigbee2mqttDecoder(friendlyName: string, energyScale = 1): MqttPayloadDecoder {
  const state = `zigbee2mqtt/${friendlyName}`;
  const availability = `${state}/availability`;
  return {
    topics: [state, availability],
    decode(topic, payload): MqttDecodeResult {
      const text = typeof payload === 'string' ? payload : payload.toString('utf8');
      if (topic === availability) {
        const parsed = parseJsonPayload(text);
        const word = 'value' in parsed && isObject(parsed.value) && typeof parsed.value['state'] === 'string' ? parsed.value['state'] : text;
        const online = onlineWord(word);
        return online === undefined
          ? rejected(`availability payload ${JSON.stringify(text.slice(0, 40))} is neither online nor offline`)
          : { kind: 'status', online };
      }
      if (topic !== state) return { kind: 'ignored', reason: `not this device's state topic: ${topic}` };
      const parsed = parseJsonPayload(text);
      if ('reason' in parsed) return rejected(parsed.reason);
      if (!isObject(parsed.value)) return rejected('payload is not a JSON object');
      const metrics: Record<string, number> = {};
      const power = toNumber(parsed.value['power']);
      const energy = toNumber(parsed.value['energy']);
      const voltage = toNumber(parsed.value['voltage']);
      const current = toNumber(parsed.value['current']);
      if (power !== undefined) metrics['power'] = power;
      if (energy !== undefined) metrics['energy'] = clean(energy * 1000 * energyScale);
      if (voltage !== undefined) metrics['voltage'] = voltage;
      if (current !== undefined) metrics['current'] = current;
      return readingOrRejection(metrics, undefined, 'payload has none of power, energy, voltage, current');
    },
  };
}
