import type { ModbusDriverName } from '@pieng/shared';

/** Values the connectors accept (libs/connectors README, "Config shapes"); the web may not import the connectors. */
export const TRANSPORTS = ['tcp', 'rtu', 'rtu-tcp'] as const;
export type Transport = (typeof TRANSPORTS)[number];
export const PARITIES = ['none', 'even', 'odd'] as const;
export const BAUD_RATES = [1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200] as const;
export const REGISTER_FUNCTIONS = [3, 4] as const;
export const REGISTER_TYPES = ['int16', 'uint16', 'int32', 'uint32', 'int64', 'uint64', 'float32', 'float64'] as const;
export const WORD_ORDERS = ['ABCD', 'CDAB', 'BADC', 'DCBA'] as const;
export const TUYA_REGIONS = ['cn', 'us', 'us-e', 'eu', 'eu-w', 'in', 'sg'] as const;
export const MQTT_FORMATS = ['tasmota', 'shelly-gen1', 'shelly-gen2', 'zigbee2mqtt', 'json'] as const;
export type MqttFormat = (typeof MQTT_FORMATS)[number];

/** One value of a `json` MQTT payload: the metric, where it is (`a.b[0].c`), and value × scale + offset. */
export interface MqttMappingRow {
  metric: string;
  path: string;
  scale: number;
  offset: number;
}

/** Serial framing each meter ships with, so picking a model fills in the line settings. */
export const DRIVER_SERIAL_DEFAULTS: Record<ModbusDriverName, { baudRate: number; stopBits: number }> = {
  pzem004t: { baudRate: 9600, stopBits: 1 },
  pzem017: { baudRate: 9600, stopBits: 2 },
  sdm120: { baudRate: 2400, stopBits: 1 },
  sdm630: { baudRate: 9600, stopBits: 1 },
  generic: { baudRate: 9600, stopBits: 1 },
};

export interface RegisterRow {
  metric: string;
  function: number;
  address: number;
  type: string;
  order: string;
  scale: number;
  offset: number;
  unit: string;
}

/** The device form's flat value: every driver's fields side by side; `buildConfig` keeps the ones the driver uses. */
export interface DeviceFormValue {
  deviceType: 'modbus' | 'tuya' | 'api' | 'mqtt' | 'virtual';
  transport: Transport;
  driver: ModbusDriverName;
  serialPort: string;
  baudRate: number;
  parity: string;
  dataBits: number;
  stopBits: number;
  slaveId: number;
  host: string;
  port: number;
  timeoutMs: number;
  simulated: boolean;
  registers: RegisterRow[];
  region: string;
  accessId: string;
  accessSecret: string;
  tuyaDeviceId: string;
  endpoint: string;
  mqttFormat: MqttFormat;
  mqttTopic: string;
  /** zigbee2mqtt: energy × this (some plugs report it ten times too small). */
  energyScale: number;
  /** json: where the payload's time is (empty: the time of receipt). */
  timestampPath: string;
  mqttMapping: MqttMappingRow[];
  /** virtual: inputs as `name=deviceId` separated by commas (`main=12, a=13`). */
  virtualInputs: string;
  /** virtual: the expressions of power and energy (empty: the meter has no such metric). */
  virtualPower: string;
  virtualEnergy: string;
}

export const EMPTY_FORM: DeviceFormValue = {
  deviceType: 'modbus',
  transport: 'tcp',
  driver: 'pzem004t',
  serialPort: '/dev/ttyUSB0',
  baudRate: 9600,
  parity: 'none',
  dataBits: 8,
  stopBits: 1,
  slaveId: 1,
  host: '',
  port: 502,
  timeoutMs: 1000,
  simulated: false,
  registers: [],
  region: 'us',
  accessId: '',
  accessSecret: '',
  tuyaDeviceId: '',
  endpoint: '',
  mqttFormat: 'tasmota',
  mqttTopic: '',
  energyScale: 1,
  timestampPath: '',
  mqttMapping: [],
  virtualInputs: '',
  virtualPower: '',
  virtualEnergy: '',
};

/** `main=12, a=13` as {main: 12, a: 13}; entries that are not name=number are kept as NaN for the server to name. */
export function parseVirtualInputs(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const part of text
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const [name, id] = part.split('=').map((x) => x.trim());
    out[name] = /^\d+$/.test(id ?? '') ? Number(id) : NaN;
  }
  return out;
}

/** The metric expressions of a virtual meter that the form has (power, energy). */
export function virtualMetrics(v: Pick<DeviceFormValue, 'virtualPower' | 'virtualEnergy'>): Record<string, string> {
  return { ...(v.virtualPower.trim() ? { power: v.virtualPower.trim() } : {}), ...(v.virtualEnergy.trim() ? { energy: v.virtualEnergy.trim() } : {}) };
}

/**
 * The `config` object the API expects for the form's driver. Only the driver's own keys go out: the API rejects
 * settings that do not belong to the transport. An empty Tuya secret on edit is left out, so the saved one stays.
 */
export function buildConfig(v: DeviceFormValue): Record<string, unknown> {
  if (v.deviceType === 'api') return {};
  if (v.deviceType === 'virtual') return { inputs: parseVirtualInputs(v.virtualInputs), metrics: virtualMetrics(v) };
  if (v.deviceType === 'mqtt') {
    return {
      format: v.mqttFormat,
      topic: v.mqttTopic,
      ...(v.mqttFormat === 'zigbee2mqtt' && v.energyScale !== 1 ? { energyScale: v.energyScale } : {}),
      ...(v.mqttFormat === 'json'
        ? {
            mapping: v.mqttMapping.map((m) => ({
              metric: m.metric,
              path: m.path,
              ...(m.scale !== 1 ? { scale: m.scale } : {}),
              ...(m.offset !== 0 ? { offset: m.offset } : {}),
            })),
            ...(v.timestampPath ? { timestampPath: v.timestampPath } : {}),
          }
        : {}),
    };
  }
  if (v.deviceType === 'tuya') {
    return {
      region: v.region,
      accessId: v.accessId,
      ...(v.accessSecret ? { accessSecret: v.accessSecret } : {}),
      tuyaDeviceId: v.tuyaDeviceId,
      ...(v.endpoint ? { endpoint: v.endpoint } : {}),
    };
  }
  const common = { driver: v.driver, timeoutMs: v.timeoutMs, ...(v.simulated ? { simulated: true } : {}) };
  const registers =
    v.driver === 'generic'
      ? {
          registers: v.registers.map((r) => ({
            metric: r.metric,
            function: Number(r.function),
            address: r.address,
            type: r.type,
            order: r.order,
            scale: r.scale,
            offset: r.offset,
            ...(r.unit ? { unit: r.unit } : {}),
          })),
        }
      : {};
  switch (v.transport) {
    case 'rtu':
      return {
        transport: 'rtu',
        port: v.serialPort,
        baudRate: v.baudRate,
        parity: v.parity,
        dataBits: v.dataBits,
        stopBits: v.stopBits,
        slaveId: v.slaveId,
        ...common,
        ...registers,
      };
    case 'tcp':
      return { transport: 'tcp', host: v.host, port: v.port, unitId: v.slaveId, ...common, ...registers };
    case 'rtu-tcp':
      return { transport: 'rtu-tcp', host: v.host, port: v.port, slaveId: v.slaveId, ...common, ...registers };
  }
}

/** The form's value for a saved device's config (the reverse of `buildConfig`; secrets come back empty). */
export function formFromConfig(deviceType: DeviceFormValue['deviceType'], config: Record<string, unknown>): DeviceFormValue {
  const c = config as Partial<Record<string, unknown>>;
  const str = (k: string, d: string) => (typeof c[k] === 'string' ? (c[k] as string) : d);
  const num = (k: string, d: number) => (typeof c[k] === 'number' ? (c[k] as number) : d);
  const transport = (TRANSPORTS as readonly string[]).includes(str('transport', '')) ? (c['transport'] as Transport) : EMPTY_FORM.transport;
  const registers = Array.isArray(c['registers'])
    ? (c['registers'] as Partial<RegisterRow>[]).map((r) => ({
        metric: r.metric ?? '',
        function: r.function ?? 4,
        address: r.address ?? 0,
        type: r.type ?? 'uint16',
        order: r.order ?? 'ABCD',
        scale: r.scale ?? 1,
        offset: r.offset ?? 0,
        unit: r.unit ?? '',
      }))
    : [];
  const mqttMapping = Array.isArray(c['mapping'])
    ? (c['mapping'] as Partial<MqttMappingRow>[]).map((m) => ({ metric: m.metric ?? '', path: m.path ?? '', scale: m.scale ?? 1, offset: m.offset ?? 0 }))
    : [];
  if (deviceType === 'virtual') {
    const inputs = (c['inputs'] ?? {}) as Record<string, number>;
    const metrics = (c['metrics'] ?? {}) as Record<string, string>;
    return {
      ...EMPTY_FORM,
      deviceType,
      virtualInputs: Object.entries(inputs)
        .map(([name, id]) => `${name}=${id}`)
        .join(', '),
      virtualPower: metrics['power'] ?? '',
      virtualEnergy: metrics['energy'] ?? '',
    };
  }
  if (deviceType === 'mqtt') {
    return {
      ...EMPTY_FORM,
      deviceType,
      mqttFormat: (MQTT_FORMATS as readonly string[]).includes(str('format', '')) ? (c['format'] as MqttFormat) : EMPTY_FORM.mqttFormat,
      mqttTopic: str('topic', ''),
      energyScale: num('energyScale', 1),
      timestampPath: str('timestampPath', ''),
      mqttMapping,
    };
  }
  return {
    ...EMPTY_FORM,
    deviceType,
    transport,
    driver: str('driver', EMPTY_FORM.driver) as ModbusDriverName,
    serialPort: transport === 'rtu' ? str('port', EMPTY_FORM.serialPort) : EMPTY_FORM.serialPort,
    baudRate: num('baudRate', EMPTY_FORM.baudRate),
    parity: str('parity', EMPTY_FORM.parity),
    dataBits: num('dataBits', EMPTY_FORM.dataBits),
    stopBits: num('stopBits', EMPTY_FORM.stopBits),
    slaveId: num(transport === 'tcp' ? 'unitId' : 'slaveId', 1),
    host: str('host', ''),
    port: transport === 'rtu' ? EMPTY_FORM.port : num('port', EMPTY_FORM.port),
    timeoutMs: num('timeoutMs', EMPTY_FORM.timeoutMs),
    simulated: c['simulated'] === true,
    registers,
    region: str('region', EMPTY_FORM.region),
    accessId: str('accessId', ''),
    accessSecret: '',
    tuyaDeviceId: str('tuyaDeviceId', ''),
    endpoint: str('endpoint', ''),
  };
}

/** The line a device's form describes, without its slave id / unit id (for a line scan or a layout detection). */
export function lineConnection(v: DeviceFormValue): Record<string, unknown> {
  const config = { ...buildConfig(v) };
  delete config['slaveId'];
  delete config['unitId'];
  delete config['registers'];
  return config;
}
