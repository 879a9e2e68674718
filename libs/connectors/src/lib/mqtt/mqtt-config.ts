/** Payload formats an MQTT meter may speak; each names how topics are derived and payloads read. */
export const MQTT_FORMATS = ['tasmota', 'shelly-gen1', 'shelly-gen2', 'zigbee2mqtt', 'json'] as const;
export type MqttFormat = (typeof MQTT_FORMATS)[number];

/** One value of a `json` payload: value = number at `path` × scale + offset. */
export interface MqttMappingEntry {
  metric: string;
  /** e.g. `ENERGY.Power` or `a.b[0].c`. */
  path: string;
  scale: number;
  offset: number;
}

export interface MqttDeviceConfig {
  format: MqttFormat;
  /**
   * The meter's own MQTT name: Tasmota's Topic, the Shelly Gen1 device id, the Shelly Gen2 topic
   * prefix, the Zigbee2MQTT friendly name; for `json` the full topic. Never a wildcard.
   */
  topic: string;
  /** zigbee2mqtt only: multiplies the energy after kWh → Wh (some plugs report it 10× too small). */
  energyScale?: number;
  /** json only. */
  mapping?: MqttMappingEntry[];
  /** json only: where the reading time is (epoch seconds, epoch milliseconds or ISO 8601). */
  timestampPath?: string;
}

/** One step into a JSON value: an object key or an array index. */
export type JsonPathStep = string | number;

/**
 * Parses `a.b[0].c` into ['a', 'b', 0, 'c']; undefined when it does not parse
 * (empty, an empty key, an unclosed or non-numeric index).
 */
export function parseJsonPath(path: string): JsonPathStep[] | undefined {
  if (typeof path !== 'string' || path.length === 0 || path.length > 256) return undefined;
  const steps: JsonPathStep[] = [];
  const pattern = /([^.[\]]+)|\[(\d{1,6})\]|(\.)/gy;
  let expectKey = true;
  let position = 0;
  while (position < path.length) {
    pattern.lastIndex = position;
    const match = pattern.exec(path);
    if (!match) return undefined;
    position = pattern.lastIndex;
    if (match[1] !== undefined) {
      if (!expectKey) return undefined;
      steps.push(match[1]);
      expectKey = false;
    } else if (match[2] !== undefined) {
      // An index follows a key or another index (or starts the path).
      if (expectKey && steps.length > 0) return undefined;
      steps.push(Number(match[2]));
      expectKey = false;
    } else {
      if (expectKey) return undefined;
      expectKey = true;
    }
  }
  return expectKey ? undefined : steps;
}

/** The value at a parsed path, or undefined. */
export function valueAtPath(root: unknown, steps: readonly JsonPathStep[]): unknown {
  let value: unknown = root;
  for (const step of steps) {
    if (typeof step === 'number') {
      if (!Array.isArray(value)) return undefined;
      value = value[step];
    } else {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
      if (!Object.prototype.hasOwnProperty.call(value, step)) return undefined;
      value = (value as Record<string, unknown>)[step];
    }
  }
  return value;
}

/** Why a device topic is not acceptable, or undefined when it is. */
export function mqttTopicProblem(topic: string): string | undefined {
  if (topic.includes('+') || topic.includes('#')) return 'must not contain the wildcards + or #: a device names its own topic';
  if (topic.includes('\u0000')) return 'must not contain a NUL character';
  if (topic.startsWith('/') || topic.endsWith('/') || topic.includes('//')) return 'must not start or end with / or contain an empty level';
  if (topic.startsWith('$')) return 'must not start with $ (broker topics)';
  return undefined;
}

/** Whether `topic` is `prefix` itself or lies under it (`prefix/...`). */
export function topicIsUnder(topic: string, prefix: string): boolean {
  const p = prefix.replace(/\/+$/, '');
  return topic === p || topic.startsWith(`${p}/`);
}

/**
 * The root of every topic a device is read from: no two devices may share one, or lie one under
 * the other (a message must name one device). Tasmota `tele/<topic>`, Shelly Gen1 `shellies/<id>`,
 * Shelly Gen2 `<prefix>`, Zigbee2MQTT `zigbee2mqtt/<name>`, json the topic itself.
 */
export function mqttTopicRoot(config: Pick<MqttDeviceConfig, 'format' | 'topic'>): string {
  switch (config.format) {
    case 'tasmota':
      return `tele/${config.topic}`;
    case 'shelly-gen1':
      return `shellies/${config.topic}`;
    case 'zigbee2mqtt':
      return `zigbee2mqtt/${config.topic}`;
    case 'shelly-gen2':
    case 'json':
      return config.topic;
  }
}

/** Whether two topic roots would see each other's messages (equal, or one under the other). */
export const topicRootsOverlap = (a: string, b: string): boolean => topicIsUnder(a, b) || topicIsUnder(b, a);
