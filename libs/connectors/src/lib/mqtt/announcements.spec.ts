import { parseMqttAnnouncement } from './announcements';

const parse = (topic: string, payload: string) => parseMqttAnnouncement(topic, Buffer.from(payload));

describe('MQTT announcements', () => {
  it('reads a Tasmota discovery config: its topic, module and device name', () => {
    // The fields Tasmota's discovery (SetOption19 0) publishes retained under tasmota/discovery/<MAC>/config.
    const config =
      '{"ip":"192.168.1.42","dn":"Kitchen plug","fn":["Kitchen",null,null,null,null,null,null,null],"hn":"tasmota-C2E9A6-2470","mac":"A4CF12C2E9A6","md":"Sonoff Pow R2","ty":0,"if":0,"ofln":"Offline","onln":"Online","state":["OFF","ON","TOGGLE","HOLD"],"sw":"13.2.0","t":"tasmota_C2E9A6","ft":"%prefix%/%topic%/","tp":["cmnd","stat","tele"],"rl":[1,0,0,0,0,0,0,0],"swc":[-1,-1,-1,-1,-1,-1,-1,-1],"btn":[0,0,0,0,0,0,0,0],"so":{"4":0,"11":0,"13":0},"lk":0,"lt_st":0,"ver":1}';
    expect(parse('tasmota/discovery/A4CF12C2E9A6/config', config)).toEqual([
      { format: 'tasmota', topic: 'tasmota_C2E9A6', model: 'Sonoff Pow R2', name: 'Kitchen plug' },
    ]);
    // Its sensors message is not an announcement; a config without a topic neither.
    expect(parse('tasmota/discovery/A4CF12C2E9A6/sensors', '{"sn":{"Time":"2024-01-01T00:00:00"},"ver":1}')).toEqual([]);
    expect(parse('tasmota/discovery/A4CF12C2E9A6/config', '{"md":"Sonoff Pow R2"}')).toEqual([]);
  });

  it('reads a Shelly Gen1 announce and a Shelly Gen2 online', () => {
    const announce =
      '{"id":"shellyplug-s-7AD2AB","model":"SHPLG-S","mac":"A4CF127AD2AB","ip":"192.168.1.30","new_fw":false,"fw_ver":"20230913-112003/v1.14.0-gcb84623"}';
    expect(parse('shellies/announce', announce)).toEqual([{ format: 'shelly-gen1', topic: 'shellyplug-s-7AD2AB', model: 'SHPLG-S', name: null }]);
    // Gen2 publishes true/false on <prefix>/online; the default prefix names the model before the MAC.
    expect(parse('shellypro3em-a8032ab12345/online', 'true')).toEqual([
      { format: 'shelly-gen2', topic: 'shellypro3em-a8032ab12345', model: 'shellypro3em', name: null },
    ]);
    expect(parse('meter-room-2/online', 'false')).toEqual([{ format: 'shelly-gen2', topic: 'meter-room-2', model: null, name: null }]);
    // Something else's online topic with another payload is not a Shelly.
    expect(parse('printer/online', '1')).toEqual([]);
  });

  it('reads the Zigbee2MQTT device list, leaving the coordinator out', () => {
    const devices = JSON.stringify([
      { ieee_address: '0x00124b00120144ae', type: 'Coordinator', network_address: 0, supported: false, friendly_name: 'Coordinator', definition: null },
      {
        ieee_address: '0xa4c138ad1e2f0e4b',
        type: 'Router',
        network_address: 29159,
        supported: true,
        friendly_name: 'office plug',
        definition: { model: 'TS011F_plug_1', vendor: 'TuYa', description: 'Smart plug (with power monitoring)', exposes: [] },
        power_source: 'Mains (single phase)',
        interview_completed: true,
      },
      { ieee_address: '0x00158d0001a2b3c4', type: 'EndDevice', friendly_name: 'hall sensor', definition: null },
    ]);
    expect(parse('zigbee2mqtt/bridge/devices', devices)).toEqual([
      { format: 'zigbee2mqtt', topic: 'office plug', model: 'TS011F_plug_1', name: 'TuYa Smart plug (with power monitoring)' },
      { format: 'zigbee2mqtt', topic: 'hall sensor', model: null, name: null },
    ]);
    expect(parse('zigbee2mqtt/bridge/devices', 'not json')).toEqual([]);
  });
});
