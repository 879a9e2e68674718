import { EMPTY_FORM, buildConfig, formFromConfig, parseVirtualInputs } from './device-config';

describe('device config', () => {
  it('builds a virtual meter config from the inputs text and the expressions, and reads it back', () => {
    const v = {
      ...EMPTY_FORM,
      deviceType: 'virtual' as const,
      virtualInputs: 'main=12, a = 13,b=14',
      virtualPower: ' main.power - (a.power + b.power) ',
      virtualEnergy: '',
    };
    const config = buildConfig(v);
    // An empty expression is left out: the meter then has no energy.
    expect(config).toEqual({ inputs: { main: 12, a: 13, b: 14 }, metrics: { power: 'main.power - (a.power + b.power)' } });
    const back = formFromConfig('virtual', config);
    expect([back.virtualInputs, back.virtualPower, back.virtualEnergy]).toEqual(['main=12, a=13, b=14', 'main.power - (a.power + b.power)', '']);
    // What is not name=number goes to the server as NaN (a JSON null), which names the input.
    expect(parseVirtualInputs('main=12, a=x')).toEqual({ main: 12, a: NaN });
  });

  it('builds a Modbus TCP config with only the transport keys', () => {
    expect(buildConfig({ ...EMPTY_FORM, transport: 'tcp', host: '10.0.0.5', port: 5020, slaveId: 3, driver: 'sdm630', simulated: true })).toEqual({
      transport: 'tcp',
      host: '10.0.0.5',
      port: 5020,
      unitId: 3,
      driver: 'sdm630',
      timeoutMs: 1000,
      simulated: true,
    });
  });

  it('builds a serial RTU config with the line settings', () => {
    expect(
      buildConfig({ ...EMPTY_FORM, transport: 'rtu', serialPort: '/dev/ttyUSB1', baudRate: 2400, parity: 'even', stopBits: 1, slaveId: 7, driver: 'sdm120' }),
    ).toEqual({
      transport: 'rtu',
      port: '/dev/ttyUSB1',
      baudRate: 2400,
      parity: 'even',
      dataBits: 8,
      stopBits: 1,
      slaveId: 7,
      driver: 'sdm120',
      timeoutMs: 1000,
    });
  });

  it('builds an RTU-over-TCP generic map with its registers', () => {
    const registers = [{ metric: 'voltage', function: 4, address: 0, type: 'float32', order: 'CDAB', scale: 1, offset: 0, unit: 'V' }];
    expect(buildConfig({ ...EMPTY_FORM, transport: 'rtu-tcp', host: 'gw', port: 4001, slaveId: 2, driver: 'generic', registers })).toEqual({
      transport: 'rtu-tcp',
      host: 'gw',
      port: 4001,
      slaveId: 2,
      driver: 'generic',
      timeoutMs: 1000,
      registers,
    });
  });

  it('leaves an empty Tuya secret out so the saved one is kept, and sends nothing for api devices', () => {
    expect(buildConfig({ ...EMPTY_FORM, deviceType: 'tuya', region: 'eu', accessId: 'id', accessSecret: '', tuyaDeviceId: 'dev' })).toEqual({
      region: 'eu',
      accessId: 'id',
      tuyaDeviceId: 'dev',
    });
    expect(buildConfig({ ...EMPTY_FORM, deviceType: 'api' })).toEqual({});
  });

  it('reads a saved config back into the form (round trip)', () => {
    const form = { ...EMPTY_FORM, transport: 'tcp' as const, host: 'meter.local', port: 502, slaveId: 4, driver: 'pzem004t' as const, simulated: true };
    expect(formFromConfig('modbus', buildConfig(form))).toEqual(form);
    const rtu = { ...EMPTY_FORM, transport: 'rtu' as const, serialPort: '/dev/ttyAMA0', baudRate: 9600, stopBits: 2, slaveId: 9, driver: 'pzem017' as const };
    expect(formFromConfig('modbus', buildConfig(rtu))).toEqual(rtu);
  });

  it('builds an mqtt config with only its format keys, and reads it back', () => {
    const zigbee = { ...EMPTY_FORM, deviceType: 'mqtt' as const, mqttFormat: 'zigbee2mqtt' as const, mqttTopic: 'office plug', energyScale: 10 };
    expect(buildConfig(zigbee)).toEqual({ format: 'zigbee2mqtt', topic: 'office plug', energyScale: 10 });
    expect(formFromConfig('mqtt', buildConfig(zigbee))).toEqual(zigbee);
    // Tasmota has no energy scale; defaults (scale 1, offset 0) are left out of a json mapping.
    expect(buildConfig({ ...zigbee, mqttFormat: 'tasmota', mqttTopic: 'plug1' })).toEqual({ format: 'tasmota', topic: 'plug1' });
    const json = {
      ...EMPTY_FORM,
      deviceType: 'mqtt' as const,
      mqttFormat: 'json' as const,
      mqttTopic: 'site/meter1/state',
      timestampPath: 'ts',
      mqttMapping: [
        { metric: 'power', path: 'data.p', scale: 1, offset: 0 },
        { metric: 'energy', path: 'data.e_kwh', scale: 1000, offset: 0 },
      ],
    };
    expect(buildConfig(json)).toEqual({
      format: 'json',
      topic: 'site/meter1/state',
      timestampPath: 'ts',
      mapping: [
        { metric: 'power', path: 'data.p' },
        { metric: 'energy', path: 'data.e_kwh', scale: 1000 },
      ],
    });
    expect(formFromConfig('mqtt', buildConfig(json))).toEqual(json);
  });
});
