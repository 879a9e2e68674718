import type { MqttFormat } from './mqtt-config';

/** A meter announcing itself on the broker: what a device of type mqtt would need to read it. */
export interface MqttAnnouncement {
  format: MqttFormat;
  /** The device config's `topic` (Tasmota's Topic, the Shelly Gen1 id, the Shelly Gen2 prefix, the Zigbee2MQTT friendly name). */
  topic: string;
  /** The model as announced, when it is. */
  model: string | null;
  /** The name as announced (Tasmota's device name, the Zigbee2MQTT vendor and description), when there is one. */
  name: string | null;
}

/**
 * Where the meters announce themselves: Tasmota's discovery (`tasmota/discovery/<mac>/config`),
 * Shelly Gen1 `shellies/announce`, Shelly Gen2 `<prefix>/online`, and Zigbee2MQTT's retained device list.
 */
export const MQTT_ANNOUNCEMENT_FILTERS = ['tasmota/discovery/+/config', 'shellies/announce', '+/online', 'zigbee2mqtt/bridge/devices'] as const;

const text = (v: unknown): string | null => (typeof v === 'string' && v.trim() !== '' ? v.trim() : null);

function json(payload: Buffer): unknown {
  try {
    return JSON.parse(payload.toString('utf8'));
  } catch {
    return undefined;
  }
}

/**
 * The meters a message on one of MQTT_ANNOUNCEMENT_FILTERS announces: none for any other topic or a
 * payload that is not the announcement documented by the device's firmware.
 */
export function parseMqttAnnouncement(topic: string, payload: Buffer): MqttAnnouncement[] {
  // Every message comes here: the others are told apart without splitting their topic.
  if (!topic.startsWith('tasmota/discovery/') && topic !== 'shellies/announce' && !topic.endsWith('/online') && topic !== 'zigbee2mqtt/bridge/devices')
    return [];
  const levels = topic.split('/');
  if (levels.length === 4 && levels[0] === 'tasmota' && levels[1] === 'discovery' && levels[3] === 'config') {
    // Tasmota (SetOption19 0): {"dn": device name, "fn": friendly names, "md": module, "t": topic, ...}
    const c = json(payload) as { t?: unknown; md?: unknown; dn?: unknown; fn?: unknown[] } | undefined;
    const t = text(c?.t);
    if (!c || !t) return [];
    return [{ format: 'tasmota', topic: t, model: text(c.md), name: text(c.dn) ?? (Array.isArray(c.fn) ? text(c.fn[0]) : null) }];
  }
  if (topic === 'shellies/announce') {
    // Shelly Gen1: {"id": "shellyplug-s-7AD2AB", "model": "SHPLG-S", "mac": ..., "ip": ..., "fw_ver": ...}
    const a = json(payload) as { id?: unknown; model?: unknown } | undefined;
    const id = text(a?.id);
    return id ? [{ format: 'shelly-gen1', topic: id, model: text(a?.model), name: null }] : [];
  }
  if (levels.length === 2 && levels[1] === 'online') {
    // Shelly Gen2: `<prefix>/online` true or false (its last will); the default prefix is the device id, as in shellyplus1pm-a8032ab12345.
    const value = payload.toString('utf8').trim();
    if ((value !== 'true' && value !== 'false') || levels[0] === '') return [];
    const model = /^(shelly[a-z0-9]+)-[0-9a-f]{6,12}$/i.exec(levels[0])?.[1] ?? null;
    return [{ format: 'shelly-gen2', topic: levels[0], model, name: null }];
  }
  if (topic === 'zigbee2mqtt/bridge/devices') {
    // Zigbee2MQTT: a retained array of {friendly_name, type: Coordinator | Router | EndDevice, definition: {model, vendor, description}}.
    const list = json(payload);
    if (!Array.isArray(list)) return [];
    const out: MqttAnnouncement[] = [];
    for (const d of list as Array<{
      friendly_name?: unknown;
      type?: unknown;
      definition?: { model?: unknown; vendor?: unknown; description?: unknown } | null;
    }>) {
      const name = text(d?.friendly_name);
      if (!name || d.type === 'Coordinator') continue;
      const vendor = text(d.definition?.vendor);
      const description = text(d.definition?.description);
      out.push({ format: 'zigbee2mqtt', topic: name, model: text(d.definition?.model), name: [vendor, description].filter(Boolean).join(' ') || null });
    }
    return out;
  }
  return [];
}
