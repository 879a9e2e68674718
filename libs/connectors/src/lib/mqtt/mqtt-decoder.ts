import { jsonDecoder } from './json.decoder';
import { MqttDeviceConfig } from './mqtt-config';
import { MqttDecodeOptions, MqttPayloadDecoder } from './mqtt-message';
import { shellyGen1Decoder } from './shelly-gen1.decoder';
import { shellyGen2Decoder } from './shelly-gen2.decoder';
import { tasmotaDecoder } from './tasmota.decoder';
import { zigbee2mqttDecoder } from './zigbee2mqtt.decoder';

/** The decoder for a validated mqtt device config (one per device: Shelly Gen2 keeps the last status). */
export function createMqttDecoder(config: MqttDeviceConfig, options: MqttDecodeOptions): MqttPayloadDecoder {
  switch (config.format) {
    case 'tasmota':
      return tasmotaDecoder(config.topic, options);
    case 'shelly-gen1':
      return shellyGen1Decoder(config.topic);
    case 'shelly-gen2':
      return shellyGen2Decoder(config.topic);
    case 'zigbee2mqtt':
      return zigbee2mqttDecoder(config.topic, config.energyScale ?? 1);
    case 'json':
      return jsonDecoder(config.topic, config.mapping ?? [], config.timestampPath, options);
  }
}

/** Whether an MQTT topic filter (with + and #) matches a topic. */
export function topicMatches(filter: string, topic: string): boolean {
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true;
    if (i >= t.length) return false;
    if (f[i] !== '+' && f[i] !== t[i]) return false;
  }
  return f.length === t.length;
}
