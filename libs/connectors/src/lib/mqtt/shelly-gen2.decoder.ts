import { MqttDecodeResult, MqttPayloadDecoder, clean, isObject, onlineWord, parseJsonPayload, readingOrRejection, rejected, toNumber } from './mqtt-message';

type Component = Record<string, unknown>;

/** `switch:<n>` keys → metric (aenergy.total is Wh). */
const SWITCH_KEYS: ReadonlyArray<[path: string[], metric: string]> = [
  [['apower'], 'power'],
  [['voltage'], 'voltage'],
  [['current'], 'current'],
  [['pf'], 'powerFactor'],
  [['freq'], 'frequency'],
  [['aenergy', 'total'], 'energy'],
  [['ret_aenergy', 'total'], 'exportEnergy'],
];
/** Pro 3EM `em:<n>` per phase a/b/c → L1/L2/L3. */
const EM_PHASE_KEYS: ReadonlyArray<[key: string, metric: string]> = [
  ['current', 'current'],
  ['voltage', 'voltage'],
  ['act_power', 'power'],
  ['aprt_power', 'apparentPower'],
  ['pf', 'powerFactor'],
  ['freq', 'frequency'],
];
const EM_TOTAL_KEYS: ReadonlyArray<[key: string, metric: string]> = [
  ['total_act_power', 'power'],
  ['total_aprt_power', 'apparentPower'],
  ['total_current', 'current'],
];
const EMDATA_KEYS: ReadonlyArray<[key: string, metric: string]> = [
  ['total_act', 'energy'],
  ['total_act_ret', 'exportEnergy'],
  ['a_total_act_energy', 'energyL1'],
  ['b_total_act_energy', 'energyL2'],
  ['c_total_act_energy', 'energyL3'],
  ['a_total_act_ret_energy', 'exportEnergyL1'],
  ['b_total_act_ret_energy', 'exportEnergyL2'],
  ['c_total_act_ret_energy', 'exportEnergyL3'],
];
/** Monophase profile `em1:<n>` and `em1data:<n>`. */
const EM1_KEYS: ReadonlyArray<[key: string, metric: string]> = [
  ['current', 'current'],
  ['voltage', 'voltage'],
  ['act_power', 'power'],
  ['aprt_power', 'apparentPower'],
  ['pf', 'powerFactor'],
  ['freq', 'frequency'],
];
const EM1DATA_KEYS: ReadonlyArray<[key: string, metric: string]> = [
  ['total_act_energy', 'energy'],
  ['total_act_ret_energy', 'exportEnergy'],
];

function at(component: Component, path: readonly string[]): number | undefined {
  let value: unknown = component;
  for (const key of path) value = isObject(value) ? value[key] : undefined;
  return toNumber(value);
}

/** Channel n > 0 adds `_<n>` (`power_1`), as the device numbers its components. */
const channelName = (metric: string, channel: number) => (channel > 0 ? `${metric}_${channel}` : metric);

function componentMetrics(name: string, component: Component, into: Record<string, number>): void {
  const match = /^(switch|em|emdata|em1|em1data):(\d{1,2})$/.exec(name);
  if (!match) return;
  const channel = Number(match[2]);
  const put = (metric: string, value: number | undefined) => {
    if (value !== undefined) into[channelName(metric, channel)] = clean(value);
  };
  switch (match[1]) {
    case 'switch':
      for (const [path, metric] of SWITCH_KEYS) put(metric, at(component, path));
      break;
    case 'em':
      for (const [key, metric] of EM_TOTAL_KEYS) put(metric, at(component, [key]));
      for (const [phase, suffix] of [
        ['a', 'L1'],
        ['b', 'L2'],
        ['c', 'L3'],
      ] as const) {
        for (const [key, metric] of EM_PHASE_KEYS) put(`${metric}${suffix}`, at(component, [`${phase}_${key}`]));
      }
      break;
    case 'emdata':
      for (const [key, metric] of EMDATA_KEYS) put(metric, at(component, [key]));
      break;
    case 'em1':
      for (const [key, metric] of EM1_KEYS) put(metric, at(component, [key]));
      break;
    case 'em1data':
      for (const [key, metric] of EM1DATA_KEYS) put(metric, at(component, [key]));
      break;
  }
}

/** Merges a partial component status onto the last known one (objects key by key, the rest replaced). */
function mergeStatus(last: Component | undefined, partial: Component): Component {
  const merged: Component = { ...(last ?? {}) };
  for (const [key, value] of Object.entries(partial)) {
    merged[key] = isObject(value) && isObject(merged[key]) ? mergeStatus(merged[key] as Component, value) : value;
  }
  return merged;
}

/**
 * Shelly Gen2/Gen3 (Plus, Pro, Pro 3EM): `<prefix>/events/rpc` frames. NotifyStatus frames are partial:
 * each component in the frame is merged onto its last known status and read whole, at the frame's
 * `params.ts` (epoch seconds). NotifyFullStatus frames replace the status. `<prefix>/online` true/false
 * is the device's availability.
 */
export function shellyGen2Decoder(prefix: string): MqttPayloadDecoder {
  const rpc = `${prefix}/events/rpc`;
  const onlineTopic = `${prefix}/online`;
  const status = new Map<string, Component>();
  return {
    topics: [rpc, onlineTopic],
    decode(topic, payload): MqttDecodeResult {
      const text = typeof payload === 'string' ? payload : payload.toString('utf8');
      if (topic === onlineTopic) {
        const online = onlineWord(text);
        return online === undefined ? rejected(`online payload ${JSON.stringify(text.slice(0, 40))} is neither true nor false`) : { kind: 'status', online };
      }
      if (topic !== rpc) return { kind: 'ignored', reason: `not this Shelly's RPC topic: ${topic}` };
      const parsed = parseJsonPayload(text);
      if ('reason' in parsed) return rejected(parsed.reason);
      const frame = parsed.value;
      if (!isObject(frame) || typeof frame['method'] !== 'string') return rejected('frame has no method');
      const method = frame['method'];
      if (method !== 'NotifyStatus' && method !== 'NotifyFullStatus') return { kind: 'ignored', reason: `${method} frames carry no status` };
      const params = frame['params'];
      if (!isObject(params)) return rejected(`${method} frame has no params object`);
      const ts = toNumber(params['ts']);
      if (ts === undefined) return rejected(`${method} frame has no params.ts`);
      const metrics: Record<string, number> = {};
      for (const [name, value] of Object.entries(params)) {
        if (name === 'ts' || !isObject(value)) continue;
        const merged = method === 'NotifyFullStatus' ? value : mergeStatus(status.get(name), value);
        status.set(name, merged);
        componentMetrics(name, merged, metrics);
      }
      // The frame's time to the millisecond (ts has centiseconds: 1757060280.21).
      return readingOrRejection(metrics, Math.round(ts * 1000), `${method} frame has no switch, em, emdata, em1 or em1data values`);
    },
  };
}
