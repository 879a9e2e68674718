import { wallTimeToEpoch } from './local-time';
import { parseJsonPath, valueAtPath } from './mqtt-config';
import { createMqttDecoder, topicMatches } from './mqtt-decoder';

const SAO_PAULO = { timeZone: 'America/Sao_Paulo' };

describe('MQTT payload decoders', () => {
  describe('tasmota', () => {
    const decoder = createMqttDecoder({ format: 'tasmota', topic: 'tasmota_plug1' }, SAO_PAULO);
    // As Tasmota's documentation shows a tele/<topic>/SENSOR message of an energy plug.
    const sensor =
      '{"Time":"2022-01-11T21:57:38","ENERGY":{"TotalStartTime":"2021-12-23T19:22:14","Total":3.705,"Yesterday":0.028,"Today":0.026,"Period":1,"Power":5,"ApparentPower":5,"ReactivePower":0,"Factor":1.00,"Voltage":233,"Current":0.021}}';

    it('subscribes to SENSOR and LWT under tele/<topic>', () => {
      expect(decoder.topics).toEqual(['tele/tasmota_plug1/SENSOR', 'tele/tasmota_plug1/LWT']);
    });

    it('reads ENERGY in W, Wh, V, A, VA, var, with Time read in the client zone', () => {
      expect(decoder.decode('tele/tasmota_plug1/SENSOR', Buffer.from(sensor))).toEqual({
        kind: 'reading',
        // 21:57:38 in São Paulo (UTC-3 all of 2022, no daylight saving since 2019) = 00:57:38 UTC the next day.
        timestamp: Date.UTC(2022, 0, 12, 0, 57, 38),
        metrics: {
          energy: 3705, // Total 3.705 kWh × 1000 = 3,705 Wh
          power: 5,
          apparentPower: 5,
          reactivePower: 0,
          powerFactor: 1,
          voltage: 233,
          current: 0.021,
        },
      });
    });

    it('splits phase arrays into L1..L3 and sums powers and energies', () => {
      const threePhase = '{"Time":"2022-01-11T21:57:38","ENERGY":{"Total":[1.5,2.25,0.125],"Power":[100,200,50],"Voltage":[230,231,229]}}';
      const result = decoder.decode('tele/tasmota_plug1/SENSOR', threePhase);
      expect(result).toMatchObject({
        kind: 'reading',
        metrics: {
          // 1.5 + 2.25 + 0.125 = 3.875 kWh = 3,875 Wh
          energy: 3875,
          energyL1: 1500,
          energyL2: 2250,
          energyL3: 125,
          power: 350, // 100 + 200 + 50
          powerL1: 100,
          voltageL1: 230,
          voltageL3: 229,
        },
      });
      expect(result.kind === 'reading' && 'voltage' in result.metrics).toBe(false);
    });

    it('reads LWT Online/Offline as the device status', () => {
      expect(decoder.decode('tele/tasmota_plug1/LWT', 'Offline')).toEqual({ kind: 'status', online: false });
      expect(decoder.decode('tele/tasmota_plug1/LWT', 'Online')).toEqual({ kind: 'status', online: true });
      expect(decoder.decode('tele/tasmota_plug1/LWT', 'maybe')).toMatchObject({ kind: 'rejected' });
    });

    it('rejects a SENSOR payload without energy, or not JSON, saying why', () => {
      expect(decoder.decode('tele/tasmota_plug1/SENSOR', '{"Time":"2022-01-11T21:57:38","AM2301":{"Temperature":21.3}}')).toEqual({
        kind: 'rejected',
        reason: 'SENSOR payload has no ENERGY object',
      });
      expect(decoder.decode('tele/tasmota_plug1/SENSOR', 'ENERGY 5W')).toEqual({ kind: 'rejected', reason: 'payload is not JSON' });
      expect(decoder.decode('tele/tasmota_plug1/SENSOR', '{"Time":"yesterday","ENERGY":{"Power":5}}')).toMatchObject({ kind: 'rejected' });
    });
  });

  describe('local wall time in an IANA zone', () => {
    it('reads a time without offset in the zone, taking the earlier instant when clocks fall back', () => {
      // Berlin, 30 Oct 2022: 03:00 CEST went back to 02:00 CET, so 02:30 happened at 00:30 UTC (+2) and 01:30 UTC (+1).
      expect(wallTimeToEpoch('2022-10-30T02:30:00', 'Europe/Berlin')).toBe(Date.UTC(2022, 9, 30, 0, 30));
      // Summer: 12:00 CEST = 10:00 UTC.
      expect(wallTimeToEpoch('2022-07-01T12:00:00', 'Europe/Berlin')).toBe(Date.UTC(2022, 6, 1, 10, 0));
      expect(wallTimeToEpoch('2022-02-30T12:00:00', 'UTC')).toBeUndefined();
    });
  });

  describe('shelly-gen1', () => {
    const decoder = createMqttDecoder({ format: 'shelly-gen1', topic: 'shellyplug-s-7AD2AB' }, SAO_PAULO);

    it('reads relay energy in watt-minutes as Wh', () => {
      const result = decoder.decode('shellies/shellyplug-s-7AD2AB/relay/0/energy', Buffer.from('1234'));
      expect(result.kind).toBe('reading');
      // 1,234 W·min / 60 = 20.5666... Wh
      expect(result.kind === 'reading' && result.metrics['energy']).toBeCloseTo(20.5667, 4);
      expect(result.kind === 'reading' && result.timestamp).toBeUndefined();
      expect(decoder.decode('shellies/shellyplug-s-7AD2AB/relay/0/power', '42.47')).toEqual({ kind: 'reading', metrics: { power: 42.47 } });
      expect(decoder.decode('shellies/shellyplug-s-7AD2AB/relay/1/power', '3')).toEqual({ kind: 'reading', metrics: { power_1: 3 } });
    });

    it('reads EM/3EM emeter values per channel, total in Wh', () => {
      expect(decoder.decode('shellies/shellyplug-s-7AD2AB/emeter/2/total', '48133.6')).toEqual({ kind: 'reading', metrics: { importEnergyL3: 48133.6 } });
      expect(decoder.decode('shellies/shellyplug-s-7AD2AB/emeter/0/reactive_power', '-12.5')).toEqual({ kind: 'reading', metrics: { reactivePowerL1: -12.5 } });
      expect(decoder.decode('shellies/shellyplug-s-7AD2AB/emeter/0/pf', '0.93')).toEqual({ kind: 'reading', metrics: { powerFactorL1: 0.93 } });
    });

    it('subscribes with a + for the channel, reads online, rejects a non-number', () => {
      expect(decoder.topics).toContain('shellies/shellyplug-s-7AD2AB/relay/+/energy');
      expect(decoder.topics.some((t) => topicMatches(t, 'shellies/shellyplug-s-7AD2AB/emeter/1/total_returned'))).toBe(true);
      expect(decoder.decode('shellies/shellyplug-s-7AD2AB/online', 'false')).toEqual({ kind: 'status', online: false });
      expect(decoder.decode('shellies/shellyplug-s-7AD2AB/relay/0/power', 'on')).toMatchObject({
        kind: 'rejected',
        reason: expect.stringContaining('not a number'),
      });
    });
  });

  describe('shelly-gen2', () => {
    it('merges partial NotifyStatus frames onto the last status, at params.ts', () => {
      const decoder = createMqttDecoder({ format: 'shelly-gen2', topic: 'shellyplus1pm-441793d69718' }, SAO_PAULO);
      expect(decoder.topics).toEqual(['shellyplus1pm-441793d69718/events/rpc', 'shellyplus1pm-441793d69718/online']);
      const full =
        '{"src":"shellyplus1pm-441793d69718","dst":"shellyplus1pm-441793d69718/events","method":"NotifyStatus","params":{"ts":1654511972.51,"switch:0":{"id":0,"source":"init","output":true,"apower":8.9,"voltage":237.5,"freq":50.0,"current":0.068,"pf":0.65,"aenergy":{"total":6.532,"by_minute":[45.199,47.141,88.397],"minute_ts":1654511972}}}}';
      expect(decoder.decode('shellyplus1pm-441793d69718/events/rpc', full)).toEqual({
        kind: 'reading',
        timestamp: 1654511972510, // 1654511972.51 s × 1000
        metrics: { power: 8.9, voltage: 237.5, current: 0.068, powerFactor: 0.65, frequency: 50, energy: 6.532 },
      });
      const partial =
        '{"src":"shellyplus1pm-441793d69718","dst":"shellyplus1pm-441793d69718/events","method":"NotifyStatus","params":{"ts":1654512032.04,"switch:0":{"id":0,"apower":12.1,"aenergy":{"total":6.75}}}}';
      expect(decoder.decode('shellyplus1pm-441793d69718/events/rpc', partial)).toEqual({
        kind: 'reading',
        timestamp: 1654512032040,
        // apower and aenergy.total from the frame; voltage, current, pf, freq from the last status.
        metrics: { power: 12.1, voltage: 237.5, current: 0.068, powerFactor: 0.65, frequency: 50, energy: 6.75 },
      });
    });

    it('reads a Pro 3EM em:0 and emdata:0 per phase and in total', () => {
      const decoder = createMqttDecoder({ format: 'shelly-gen2', topic: 'pro3em' }, SAO_PAULO);
      const frame = JSON.stringify({
        src: 'shellypro3em-c8f09e8835c4',
        dst: 'pro3em/events',
        method: 'NotifyStatus',
        params: {
          ts: 1757060280.21,
          'em:0': {
            id: 0,
            a_current: 4.029,
            a_voltage: 236.1,
            a_act_power: 951.2,
            a_aprt_power: 951.9,
            a_pf: 1,
            a_freq: 50,
            b_current: 4.027,
            b_voltage: 236.201,
            b_act_power: -951.1,
            b_aprt_power: 951.8,
            b_pf: 1,
            b_freq: 50,
            c_current: 3.03,
            c_voltage: 236.402,
            c_act_power: 715.4,
            c_aprt_power: 716.2,
            c_pf: 1,
            c_freq: 50,
            total_current: 11.086,
            total_act_power: 715.535,
            total_aprt_power: 2619.837,
          },
          'emdata:0': {
            id: 0,
            a_total_act_energy: 3087.07,
            a_total_act_ret_energy: 129.63,
            b_total_act_energy: 3111.28,
            b_total_act_ret_energy: 130.07,
            c_total_act_energy: 3055.94,
            c_total_act_ret_energy: 129.39,
            total_act: 9254.29,
            total_act_ret: 389.09,
          },
        },
      });
      const result = decoder.decode('pro3em/events/rpc', frame);
      expect(result).toMatchObject({
        kind: 'reading',
        timestamp: 1757060280210,
        metrics: {
          power: 715.535,
          current: 11.086,
          apparentPower: 2619.837,
          powerL2: -951.1,
          voltageL3: 236.402,
          frequencyL1: 50,
          energy: 9254.29,
          exportEnergy: 389.09,
          energyL1: 3087.07,
          exportEnergyL3: 129.39,
        },
      });
    });

    it('ignores event frames, rejects a status without values', () => {
      const decoder = createMqttDecoder({ format: 'shelly-gen2', topic: 'p' }, SAO_PAULO);
      expect(
        decoder.decode('p/events/rpc', '{"src":"x","method":"NotifyEvent","params":{"ts":1,"events":[{"component":"input:0","event":"single_push"}]}}').kind,
      ).toBe('ignored');
      expect(decoder.decode('p/events/rpc', '{"src":"x","method":"NotifyStatus","params":{"ts":1654512032.04,"wifi":{"rssi":-60}}}')).toMatchObject({
        kind: 'rejected',
      });
      expect(decoder.decode('p/events/rpc', '{"src":"x","method":"NotifyStatus","params":{"switch:0":{"apower":1}}}')).toEqual({
        kind: 'rejected',
        reason: 'NotifyStatus frame has no params.ts',
      });
    });
  });

  describe('zigbee2mqtt', () => {
    // A TS011F plug's state as Zigbee2MQTT publishes it.
    const state = '{"child_lock":"UNLOCK","current":0.04,"energy":1.52,"linkquality":120,"power":5,"power_outage_memory":"restore","state":"ON","voltage":230}';

    it('reads energy kWh as Wh times the device energy scale', () => {
      const plain = createMqttDecoder({ format: 'zigbee2mqtt', topic: 'kitchen plug' }, SAO_PAULO);
      expect(plain.topics).toEqual(['zigbee2mqtt/kitchen plug', 'zigbee2mqtt/kitchen plug/availability']);
      // 1.52 kWh × 1000 = 1,520 Wh
      expect(plain.decode('zigbee2mqtt/kitchen plug', state)).toEqual({ kind: 'reading', metrics: { power: 5, energy: 1520, voltage: 230, current: 0.04 } });
      const scaled = createMqttDecoder({ format: 'zigbee2mqtt', topic: 'kitchen plug', energyScale: 10 }, SAO_PAULO);
      // 1.52 kWh × 1000 × 10 = 15,200 Wh
      expect(scaled.decode('zigbee2mqtt/kitchen plug', state)).toMatchObject({ metrics: { energy: 15200 } });
      expect(scaled.decode('zigbee2mqtt/kitchen plug/availability', '{"state":"offline"}')).toEqual({ kind: 'status', online: false });
      expect(scaled.decode('zigbee2mqtt/kitchen plug', '{"linkquality":120,"state":"ON"}')).toMatchObject({ kind: 'rejected' });
    });
  });

  describe('json', () => {
    it('maps paths with scale and offset and reads the timestamp path', () => {
      const decoder = createMqttDecoder(
        {
          format: 'json',
          topic: 'site/main/meter',
          mapping: [
            { metric: 'power', path: 'sensors[0].data.p', scale: 1, offset: 0 },
            { metric: 'energy', path: 'sensors[0].data.e', scale: 0.1, offset: 0 },
            { metric: 'voltage', path: 'v', scale: 1, offset: -0.5 },
          ],
          timestampPath: 'time',
        },
        SAO_PAULO,
      );
      expect(decoder.topics).toEqual(['site/main/meter']);
      const result = decoder.decode('site/main/meter', '{"sensors":[{"id":"main","data":{"p":1500,"e":12345}}],"v":"230.5","time":1700000000}');
      // e 12,345 × 0.1 = 1,234.5 Wh; v 230.5 - 0.5 = 230 V; time 1,700,000,000 s = 1,700,000,000,000 ms
      expect(result).toEqual({ kind: 'reading', timestamp: 1_700_000_000_000, metrics: { power: 1500, energy: 1234.5, voltage: 230 } });
      expect(decoder.decode('site/main/meter', '{"time":1700000000}')).toMatchObject({
        kind: 'rejected',
        reason: expect.stringContaining('none of the mapped paths'),
      });
      expect(decoder.decode('site/main/meter', '{"sensors":[{"data":{"p":1}}],"time":"soon"}')).toMatchObject({ kind: 'rejected' });
    });

    it('parses paths, refusing the malformed', () => {
      expect(parseJsonPath('a.b[0].c')).toEqual(['a', 'b', 0, 'c']);
      expect(parseJsonPath('[2].x')).toEqual([2, 'x']);
      expect(parseJsonPath('ENERGY.Total')).toEqual(['ENERGY', 'Total']);
      for (const bad of ['', 'a..b', 'a.', '.a', 'a[', 'a[x]', 'a[0', 'a]b', 'a.[0]']) expect(parseJsonPath(bad)).toBeUndefined();
      expect(valueAtPath({ a: [{ b: 7 }] }, ['a', 0, 'b'])).toBe(7);
      expect(valueAtPath({ a: 1 }, ['toString'])).toBeUndefined();
    });
  });
});
