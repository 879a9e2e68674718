import { MqttDecodeResult, MqttPayloadDecoder, clean, onlineWord, rejected, toNumber } from './mqtt-message';

/** relay/<n>/<leaf> → metric and factor (energy is in watt-minutes: Wh = W·min / 60). */
const RELAY_LEAVES: Record<string, [metric: string, factor: number]> = {
  power: ['power', 1],
  energy: ['energy', 1 / 60],
};
/** emeter/<i>/<leaf> → metric; `energy`/`returned_energy` (W·min since boot) are left for `total`/`total_returned` (Wh, kept over reboots). */
const EMETER_LEAVES: Record<string, string> = {
  power: 'power',
  reactive_power: 'reactivePower',
  pf: 'powerFactor',
  voltage: 'voltage',
  current: 'current',
  total: 'importEnergy',
  total_returned: 'exportEnergy',
};

/**
 * Shelly Gen1: one value per message, `shellies/<id>/relay/<n>/{power, energy}` and EM/3EM
 * `shellies/<id>/emeter/<i>/{power, reactive_power, pf, voltage, current, total, total_returned}`.
 * Relay n > 0 adds `_<n>` to the metric (`power_1`); emeter i is phase/channel L<i+1> (`powerL1`).
 * Payloads carry no time. `shellies/<id>/online` true/false is the device's availability.
 */
export function shellyGen1Decoder(id: string): MqttPayloadDecoder {
  const base = `shellies/${id}/`;
  return {
    topics: [
      ...Object.keys(RELAY_LEAVES).map((leaf) => `${base}relay/+/${leaf}`),
      ...Object.keys(EMETER_LEAVES).map((leaf) => `${base}emeter/+/${leaf}`),
      `${base}online`,
    ],
    decode(topic, payload): MqttDecodeResult {
      const text = typeof payload === 'string' ? payload : payload.toString('utf8');
      if (!topic.startsWith(base)) return { kind: 'ignored', reason: `not this Shelly's topic: ${topic}` };
      const levels = topic.slice(base.length).split('/');
      if (levels.length === 1 && levels[0] === 'online') {
        const online = onlineWord(text);
        return online === undefined ? rejected(`online payload ${JSON.stringify(text.slice(0, 40))} is neither true nor false`) : { kind: 'status', online };
      }
      if (levels.length !== 3 || !/^\d{1,2}$/.test(levels[1])) return { kind: 'ignored', reason: `not a metered topic: ${topic}` };
      const [group, channelText, leaf] = levels;
      const channel = Number(channelText);
      const value = toNumber(text);
      let metric: string;
      let factor = 1;
      if (group === 'relay' && RELAY_LEAVES[leaf]) {
        [metric, factor] = RELAY_LEAVES[leaf];
        if (channel > 0) metric = `${metric}_${channel}`;
      } else if (group === 'emeter' && EMETER_LEAVES[leaf]) {
        metric = `${EMETER_LEAVES[leaf]}L${channel + 1}`;
      } else {
        return { kind: 'ignored', reason: `not a metered topic: ${topic}` };
      }
      if (value === undefined) return rejected(`${group}/${channelText}/${leaf} payload ${JSON.stringify(text.slice(0, 40))} is not a number`);
      return { kind: 'reading', metrics: { [metric]: clean(value * factor) } };
    },
  };
}
