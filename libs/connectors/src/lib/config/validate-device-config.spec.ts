import { tuyaBaseUrl, type TuyaDeviceConfig } from './device-config';
import { mergeSecretFields, redactDeviceConfig, validateDeviceConfig } from './validate-device-config';

describe('validateDeviceConfig: modbus', () => {
  it('normalises a serial PZEM config with defaults', () => {
    const result = validateDeviceConfig('modbus', { transport: 'rtu', port: '/dev/ttyUSB0', driver: 'pzem004t' });
    expect(result.errors).toBeUndefined();
    expect(result.config).toEqual({
      transport: 'rtu',
      port: '/dev/ttyUSB0',
      baudRate: 9600,
      parity: 'none',
      dataBits: 8,
      stopBits: 1,
      slaveId: 1,
      driver: 'pzem004t',
      timeoutMs: 1000,
      interFramePauseMs: 0,
      simulated: false,
    });
  });

  it('uses each meter family defaults (PZEM-017 8N2, SDM120 2400 baud)', () => {
    expect(validateDeviceConfig('modbus', { transport: 'rtu', port: '/dev/ttyUSB1', driver: 'pzem017' }).config).toMatchObject({ stopBits: 2, baudRate: 9600 });
    expect(validateDeviceConfig('modbus', { transport: 'rtu', port: '/dev/ttyUSB1', driver: 'sdm120' }).config).toMatchObject({ stopBits: 1, baudRate: 2400 });
  });

  it('names the field and the allowed values', () => {
    const result = validateDeviceConfig('modbus', { transport: 'rtu', port: '/dev/ttyUSB0', driver: 'pzem004t', baudRate: 9601 });
    expect(result.errors).toEqual([
      { field: 'config.baudRate', message: 'config.baudRate must be one of 1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200' },
    ]);
  });

  it('accepts the PZEM general address 0xF8 only for PZEM meters', () => {
    expect(validateDeviceConfig('modbus', { transport: 'rtu', port: '/dev/x', driver: 'pzem004t', slaveId: 248 }).config).toMatchObject({ slaveId: 248 });
    expect(validateDeviceConfig('modbus', { transport: 'rtu', port: '/dev/x', driver: 'sdm630', slaveId: 248 }).errors).toEqual([
      { field: 'config.slaveId', message: 'config.slaveId must be between 1 and 247' },
    ]);
    expect(validateDeviceConfig('modbus', { transport: 'rtu', port: '/dev/x', driver: 'pzem004t', slaveId: 0 }).errors?.[0].field).toBe('config.slaveId');
  });

  it('validates TCP and RTU-over-TCP configs', () => {
    expect(validateDeviceConfig('modbus', { transport: 'tcp', host: '192.168.1.50', driver: 'sdm630' }).config).toEqual({
      transport: 'tcp',
      host: '192.168.1.50',
      port: 502,
      unitId: 1,
      driver: 'sdm630',
      timeoutMs: 1000,
      interFramePauseMs: 0,
      simulated: false,
      maxGap: undefined,
      maxRegistersPerRequest: undefined,
    });
    const rtuTcp = validateDeviceConfig('modbus', { transport: 'rtu-tcp', host: 'gw', port: 4001, slaveId: 3, driver: 'pzem004t', simulated: true });
    expect(rtuTcp.config).toMatchObject({ transport: 'rtu-tcp', host: 'gw', port: 4001, slaveId: 3, baudRate: 9600, simulated: true });
    expect(validateDeviceConfig('modbus', { transport: 'rtu-tcp', host: 'gw', slaveId: 3, driver: 'pzem004t' }).errors).toEqual([
      { field: 'config.port', message: 'config.port is required' },
    ]);
  });

  it('rejects unknown and misplaced settings', () => {
    const result = validateDeviceConfig('modbus', { transport: 'tcp', host: 'h', driver: 'pzem004t', baudrate: 9600, slaveId: 2 });
    expect(result.errors).toEqual([
      { field: 'config.baudrate', message: 'config.baudrate is not a known setting for transport tcp' },
      { field: 'config.slaveId', message: 'config.slaveId is not a known setting for transport tcp' },
    ]);
    expect(validateDeviceConfig('modbus', { transport: 'usb', driver: 'x' }).errors).toEqual([
      { field: 'config.transport', message: 'config.transport must be one of rtu, tcp, rtu-tcp' },
      { field: 'config.driver', message: 'config.driver must be one of pzem004t, pzem017, sdm120, sdm630, generic' },
    ]);
    expect(validateDeviceConfig('modbus', 'nope').errors).toEqual([{ field: 'config', message: 'config must be an object' }]);
  });

  it('validates generic register maps with indexed paths', () => {
    const result = validateDeviceConfig('modbus', {
      transport: 'tcp',
      host: 'h',
      driver: 'generic',
      registers: [
        { metric: 'voltage', function: 4, address: 0, type: 'float32' },
        { metric: 'voltage', function: 4, address: 2, type: 'float32' },
        { metric: 'x', function: 5, address: 70000, type: 'int24', order: 'ACBD' },
        { metric: 'flag', function: 3, address: 9, type: 'float32', bit: 3 },
      ],
    });
    expect(result.errors).toEqual([
      { field: 'config.registers[1].metric', message: 'config.registers[1].metric repeats "voltage": each metric may appear once' },
      { field: 'config.registers[2].function', message: 'config.registers[2].function must be one of 3, 4' },
      { field: 'config.registers[2].type', message: 'config.registers[2].type must be one of int16, uint16, int32, uint32, int64, uint64, float32, float64' },
      { field: 'config.registers[2].address', message: 'config.registers[2].address must be between 0 and 65535' },
      { field: 'config.registers[2].order', message: 'config.registers[2].order must be one of ABCD, CDAB, BADC, DCBA' },
      { field: 'config.registers[3].bit', message: 'config.registers[3].bit cannot be used with float32; bit fields need an integer type' },
    ]);
  });

  it('normalises a generic map with defaults', () => {
    const result = validateDeviceConfig('modbus', {
      transport: 'tcp',
      host: 'h',
      driver: 'generic',
      maxGap: 4,
      registers: [{ metric: 'temperature', function: 3, address: 5, type: 'int16', scale: 0.1, unit: '°C' }],
    });
    expect(result.config).toMatchObject({
      maxGap: 4,
      maxRegistersPerRequest: 125,
      registers: [{ metric: 'temperature', function: 3, address: 5, type: 'int16', order: 'ABCD', scale: 0.1, offset: 0, unit: '°C' }],
    });
    expect(validateDeviceConfig('modbus', { transport: 'tcp', host: 'h', driver: 'generic' }).errors).toEqual([
      { field: 'config.registers', message: 'config.registers is required for driver generic' },
    ]);
    expect(validateDeviceConfig('modbus', { transport: 'tcp', host: 'h', driver: 'sdm630', maxRegistersPerRequest: 100 }).errors).toEqual([
      { field: 'config.maxRegistersPerRequest', message: 'config.maxRegistersPerRequest must be between 2 and 80' },
    ]);
  });
});

describe('validateDeviceConfig: tuya and api', () => {
  const tuya = { region: 'eu', accessId: 'id123', accessSecret: 's3cret', tuyaDeviceId: 'bf0123abc' };

  it('maps the region to its data centre and fills default scales', () => {
    expect(validateDeviceConfig('tuya', tuya).config).toEqual({
      ...tuya,
      scales: { cur_voltage: 0.1, cur_current: 0.001, cur_power: 0.1, add_ele: 1 },
      monthlyCallQuota: 26000,
      simulated: false,
    });
    expect(validateDeviceConfig('tuya', { ...tuya, endpoint: 'http://127.0.0.1:8088/', scales: { add_ele: 10 } }).config).toMatchObject({
      endpoint: 'http://127.0.0.1:8088',
      scales: { add_ele: 10, cur_power: 0.1 },
    });
  });

  it('reports missing and invalid Tuya settings', () => {
    expect(validateDeviceConfig('tuya', { region: 'mars', scales: { foo: 1, cur_power: -1 } }).errors).toEqual([
      { field: 'config.region', message: 'config.region must be one of cn, us, us-e, eu, eu-w, in, sg' },
      { field: 'config.accessId', message: 'config.accessId is required' },
      { field: 'config.accessSecret', message: 'config.accessSecret is required' },
      { field: 'config.tuyaDeviceId', message: 'config.tuyaDeviceId is required' },
      { field: 'config.scales.foo', message: 'config.scales.foo is not a mapped data point (one of cur_voltage, cur_current, cur_power, add_ele)' },
      { field: 'config.scales.cur_power', message: 'config.scales.cur_power must be a positive number' },
    ]);
  });

  it('accepts an empty api device config', () => {
    expect(validateDeviceConfig('api', {})).toEqual({ config: {} });
    expect(validateDeviceConfig('api', undefined)).toEqual({ config: {} });
    expect(validateDeviceConfig('api', { host: 'x' }).errors?.[0].field).toBe('config.host');
  });

  it('redacts the write-only secret and keeps it on update', () => {
    const stored = validateDeviceConfig('tuya', tuya).config;
    const shown = redactDeviceConfig(stored) as unknown as Record<string, unknown>;
    expect(shown['accessSecret']).toBeUndefined();
    expect(shown['hasAccessSecret']).toBe(true);
    expect(JSON.stringify(shown)).not.toContain('s3cret');
    const merged = mergeSecretFields(stored, { ...shown, region: 'us' }) as Record<string, unknown>;
    expect(merged['accessSecret']).toBe('s3cret');
    expect(merged['hasAccessSecret']).toBeUndefined();
    expect(tuyaBaseUrl(validateDeviceConfig('tuya', merged).config as TuyaDeviceConfig)).toBe('https://openapi.tuyaus.com');
    expect(tuyaBaseUrl(stored as TuyaDeviceConfig)).toBe('https://openapi.tuyaeu.com');
  });
});

describe('validateDeviceConfig: mqtt', () => {
  it('accepts each format with its own settings', () => {
    expect(validateDeviceConfig('mqtt', { format: 'tasmota', topic: ' tasmota_plug1 ' })).toEqual({ config: { format: 'tasmota', topic: 'tasmota_plug1' } });
    expect(validateDeviceConfig('mqtt', { format: 'zigbee2mqtt', topic: 'kitchen plug', energyScale: 10 })).toEqual({
      config: { format: 'zigbee2mqtt', topic: 'kitchen plug', energyScale: 10 },
    });
    expect(
      validateDeviceConfig('mqtt', { format: 'json', topic: 'site/meter', mapping: [{ metric: 'power', path: 'a.b[0].c' }], timestampPath: 'ts' }),
    ).toEqual({
      config: { format: 'json', topic: 'site/meter', mapping: [{ metric: 'power', path: 'a.b[0].c', scale: 1, offset: 0 }], timestampPath: 'ts' },
    });
  });

  it('names the field of an unknown format, a wildcard topic, a bad path', () => {
    expect(validateDeviceConfig('mqtt', { format: 'homie', topic: 'x' }).errors).toEqual([
      { field: 'config.format', message: 'config.format must be one of tasmota, shelly-gen1, shelly-gen2, zigbee2mqtt, json' },
    ]);
    expect(validateDeviceConfig('mqtt', { format: 'tasmota', topic: 'plugs/+' }).errors?.map((e) => e.field)).toEqual(['config.topic']);
    expect(validateDeviceConfig('mqtt', { format: 'json', topic: 'a/#', mapping: [{ metric: 'p', path: 'x' }] }).errors?.map((e) => e.field)).toEqual([
      'config.topic',
    ]);
    expect(validateDeviceConfig('mqtt', { format: 'tasmota' }).errors?.map((e) => e.field)).toEqual(['config.topic']);
    expect(validateDeviceConfig('mqtt', { format: 'json', topic: 't', mapping: [{ metric: 'power', path: 'a..b' }] }).errors?.map((e) => e.field)).toEqual([
      'config.mapping[0].path',
    ]);
    expect(
      validateDeviceConfig('mqtt', { format: 'json', topic: 't', mapping: [{ metric: 'power', path: 'a' }], timestampPath: 'x[' }).errors?.map((e) => e.field),
    ).toEqual(['config.timestampPath']);
    expect(validateDeviceConfig('mqtt', { format: 'json', topic: 't' }).errors?.map((e) => e.field)).toEqual(['config.mapping']);
    expect(validateDeviceConfig('mqtt', { format: 'tasmota', topic: 't', mapping: [] }).errors?.map((e) => e.field)).toEqual(['config.mapping']);
    expect(validateDeviceConfig('mqtt', { format: 'zigbee2mqtt', topic: 't', energyScale: 0 }).errors?.map((e) => e.field)).toEqual(['config.energyScale']);
  });
});
