import { DEVICE_TYPES, METRIC_NAME_PATTERN, MODBUS_DRIVERS, type DeviceType, type ModbusDriverName } from '@pieng/shared';
import { REGISTER_TYPES, REGISTER_WIDTH, WORD_ORDERS, isFloatType, type RegisterType } from '../modbus/register-codec';
import { MODBUS_MAX_READ_REGISTERS } from '../modbus/read-planner';
import {
  BAUD_RATES,
  DEFAULT_TUYA_SCALES,
  MODBUS_TRANSPORTS,
  PARITIES,
  TUYA_DATA_POINTS,
  TUYA_REGIONS,
  type ApiDeviceConfig,
  type BaudRate,
  type ModbusDeviceConfig,
  type ModbusTransportKind,
  type NormalizedDeviceConfig,
  type Parity,
  type RegisterMapEntry,
  type SerialLineSettings,
  type TuyaDataPoint,
  type TuyaDeviceConfig,
  type TuyaRegion,
  type VirtualDeviceConfig,
} from './device-config';
import { MQTT_FORMATS, mqttTopicProblem, parseJsonPath, type MqttDeviceConfig, type MqttMappingEntry } from '../mqtt/mqtt-config';

export interface ConfigError {
  /** Path of the offending value, e.g. `config.baudRate` or `config.registers[2].type`. */
  field: string;
  message: string;
}

export type ConfigValidationResult<T = NormalizedDeviceConfig> = { config: T; errors?: undefined } | { errors: ConfigError[]; config?: undefined };

export const DEFAULT_TIMEOUT_MS = 1000;
export const DEFAULT_TUYA_MONTHLY_QUOTA = 26_000;

/** Serial defaults per driver, from the meters' documents (PROTOCOLS.md). */
const DRIVER_SERIAL_DEFAULTS: Record<ModbusDriverName, SerialLineSettings> = {
  pzem004t: { baudRate: 9600, parity: 'none', dataBits: 8, stopBits: 1 },
  pzem017: { baudRate: 9600, parity: 'none', dataBits: 8, stopBits: 2 },
  sdm120: { baudRate: 2400, parity: 'none', dataBits: 8, stopBits: 1 },
  sdm630: { baudRate: 9600, parity: 'none', dataBits: 8, stopBits: 1 },
  generic: { baudRate: 9600, parity: 'none', dataBits: 8, stopBits: 1 },
};

/** PZEM meters also answer the "general" address 0xF8 when alone on a line. */
const PZEM_GENERAL_ADDRESS = 0xf8;
const MAX_REGISTER_ENTRIES = 500;

/** Collects errors while reading an untrusted object. */
class ConfigReader {
  readonly errors: ConfigError[] = [];

  constructor(private readonly prefix: string) {}

  fail(field: string, message: string): undefined {
    this.errors.push({ field: this.path(field), message: `${this.path(field)} ${message}` });
    return undefined;
  }

  path(field: string): string {
    return field.startsWith('[') ? `${this.prefix}${field}` : `${this.prefix}.${field}`;
  }

  child(prefix: string): ConfigReader {
    const reader = new ConfigReader(this.path(prefix));
    // Share one error list so nested readers report into the same result.
    (reader as { errors: ConfigError[] }).errors = this.errors;
    return reader;
  }

  rejectUnknown(obj: Record<string, unknown>, known: readonly string[], what: string): void {
    for (const key of Object.keys(obj)) {
      if (!known.includes(key)) this.fail(key, `is not a known setting for ${what}`);
    }
  }

  string(obj: Record<string, unknown>, field: string, opts: { required: boolean; maxLength?: number; def?: string }): string | undefined {
    const value = obj[field];
    if (value === undefined || value === null || value === '') {
      if (opts.required) return this.fail(field, 'is required');
      return opts.def;
    }
    if (typeof value !== 'string') return this.fail(field, 'must be a string');
    const trimmed = value.trim();
    if (trimmed === '') return opts.required ? this.fail(field, 'is required') : opts.def;
    if (opts.maxLength && trimmed.length > opts.maxLength) return this.fail(field, `must be at most ${opts.maxLength} characters`);
    return trimmed;
  }

  integer(
    obj: Record<string, unknown>,
    field: string,
    opts: { min: number; max: number; def?: number; required?: boolean; label?: string },
  ): number | undefined {
    const value = obj[field];
    if (value === undefined || value === null) {
      if (opts.required) return this.fail(field, 'is required');
      return opts.def;
    }
    if (typeof value !== 'number' || !Number.isInteger(value)) return this.fail(field, 'must be a whole number');
    if (value < opts.min || value > opts.max) {
      return this.fail(field, `must be between ${opts.min} and ${opts.max}${opts.label ? ` (${opts.label})` : ''}`);
    }
    return value;
  }

  finite(obj: Record<string, unknown>, field: string, def: number): number | undefined {
    const value = obj[field];
    if (value === undefined || value === null) return def;
    if (typeof value !== 'number' || !Number.isFinite(value)) return this.fail(field, 'must be a finite number');
    return value;
  }

  oneOf<T extends string | number>(obj: Record<string, unknown>, field: string, allowed: readonly T[], def?: T): T | undefined {
    const value = obj[field];
    if (value === undefined || value === null) {
      if (def === undefined) return this.fail(field, `is required (one of ${allowed.join(', ')})`);
      return def;
    }
    if (!(allowed as readonly unknown[]).includes(value)) return this.fail(field, `must be one of ${allowed.join(', ')}`);
    return value as T;
  }

  boolean(obj: Record<string, unknown>, field: string, def: boolean): boolean | undefined {
    const value = obj[field];
    if (value === undefined || value === null) return def;
    if (typeof value !== 'boolean') return this.fail(field, 'must be true or false');
    return value;
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Validates a device's `config` for its device type and fills in defaults.
 * Unknown settings are rejected (a misspelt `baudrate` silently ignored would be worse).
 */
export function validateDeviceConfig(deviceType: 'modbus', config: unknown): ConfigValidationResult<ModbusDeviceConfig>;
export function validateDeviceConfig(deviceType: 'tuya', config: unknown): ConfigValidationResult<TuyaDeviceConfig>;
export function validateDeviceConfig(deviceType: 'api', config: unknown): ConfigValidationResult<ApiDeviceConfig>;
export function validateDeviceConfig(deviceType: 'mqtt', config: unknown): ConfigValidationResult<MqttDeviceConfig>;
export function validateDeviceConfig(deviceType: 'virtual', config: unknown): ConfigValidationResult<VirtualDeviceConfig>;
export function validateDeviceConfig(deviceType: DeviceType, config: unknown): ConfigValidationResult;
export function validateDeviceConfig(deviceType: DeviceType, config: unknown): ConfigValidationResult {
  const reader = new ConfigReader('config');
  if (!(DEVICE_TYPES as readonly string[]).includes(deviceType)) {
    return { errors: [{ field: 'deviceType', message: `deviceType must be one of ${DEVICE_TYPES.join(', ')}` }] };
  }
  const obj = config === undefined || config === null ? {} : config;
  if (!isPlainObject(obj)) return { errors: [{ field: 'config', message: 'config must be an object' }] };
  let result: NormalizedDeviceConfig | undefined;
  switch (deviceType) {
    case 'modbus':
      result = readModbusConfig(reader, obj);
      break;
    case 'tuya':
      result = readTuyaConfig(reader, obj);
      break;
    case 'api':
      reader.rejectUnknown(obj, ['simulated'], 'an api device');
      result = obj['simulated'] === undefined ? {} : { simulated: reader.boolean(obj, 'simulated', false) };
      break;
    case 'mqtt':
      result = readMqttConfig(reader, obj);
      break;
    case 'virtual':
      result = readVirtualConfig(reader, obj);
      break;
  }
  if (reader.errors.length > 0 || !result) return { errors: reader.errors };
  return { config: result };
}

/** An input's name: an identifier that is none of the expression language's words or functions. */
const VIRTUAL_INPUT_NAME = /^[A-Za-z][A-Za-z0-9_]{0,31}$/;
const RESERVED_INPUT_NAMES = new Set([
  'min',
  'max',
  'abs',
  'sqrt',
  'round',
  'and',
  'or',
  'not',
  'xor',
  'mod',
  'to',
  'in',
  'end',
  'true',
  'false',
  'null',
  'undefined',
  'Infinity',
  'NaN',
  'pi',
  'e',
]);
export const MAX_VIRTUAL_INPUTS = 20;
export const MAX_VIRTUAL_EXPRESSION_LENGTH = 500;

function readVirtualConfig(reader: ConfigReader, obj: Record<string, unknown>): VirtualDeviceConfig | undefined {
  reader.rejectUnknown(obj, ['inputs', 'metrics'], 'a virtual device');
  const inputs: Record<string, number> = {};
  const metrics: Record<string, string> = {};
  const rawInputs = obj['inputs'];
  if (!isPlainObject(rawInputs) || Object.keys(rawInputs).length === 0) reader.fail('inputs', 'must name at least one input, e.g. {"main": 12}');
  else if (Object.keys(rawInputs).length > MAX_VIRTUAL_INPUTS) reader.fail('inputs', `must name at most ${MAX_VIRTUAL_INPUTS} inputs`);
  else
    for (const [name, id] of Object.entries(rawInputs)) {
      if (!VIRTUAL_INPUT_NAME.test(name) || RESERVED_INPUT_NAMES.has(name))
        reader.fail(`inputs.${name}`, 'must be named by a letter and letters, digits or _ (at most 32), and not a function or word of the expression language');
      else if (typeof id !== 'number' || !Number.isInteger(id) || id < 1 || id > 2_147_483_647) reader.fail(`inputs.${name}`, 'must be a device id');
      else inputs[name] = id;
    }
  const rawMetrics = obj['metrics'];
  if (!isPlainObject(rawMetrics) || Object.keys(rawMetrics).length === 0)
    reader.fail('metrics', 'must give at least one metric expression, e.g. {"power": "main.power - a.power"}');
  else
    for (const [metric, text] of Object.entries(rawMetrics)) {
      if (!METRIC_NAME_PATTERN.test(metric)) reader.fail(`metrics.${metric}`, 'is not a metric name');
      else if (typeof text !== 'string' || !text.trim()) reader.fail(`metrics.${metric}`, 'must be an expression');
      else if (text.length > MAX_VIRTUAL_EXPRESSION_LENGTH) reader.fail(`metrics.${metric}`, `must be at most ${MAX_VIRTUAL_EXPRESSION_LENGTH} characters`);
      else metrics[metric] = text;
    }
  return { inputs, metrics };
}

const COMMON_MODBUS_KEYS = ['transport', 'driver', 'timeoutMs', 'interFramePauseMs', 'simulated', 'registers', 'maxGap', 'maxRegistersPerRequest'];
const SERIAL_KEYS = ['baudRate', 'parity', 'dataBits', 'stopBits'];
const KEYS_BY_TRANSPORT: Record<ModbusTransportKind, string[]> = {
  rtu: [...COMMON_MODBUS_KEYS, ...SERIAL_KEYS, 'port', 'slaveId'],
  tcp: [...COMMON_MODBUS_KEYS, 'host', 'port', 'unitId'],
  'rtu-tcp': [...COMMON_MODBUS_KEYS, ...SERIAL_KEYS, 'host', 'port', 'slaveId'],
};

function readModbusConfig(reader: ConfigReader, obj: Record<string, unknown>): ModbusDeviceConfig | undefined {
  const transport = reader.oneOf(obj, 'transport', MODBUS_TRANSPORTS);
  const driver = reader.oneOf(obj, 'driver', MODBUS_DRIVERS);
  if (!transport || !driver) return undefined;
  reader.rejectUnknown(obj, KEYS_BY_TRANSPORT[transport], `transport ${transport}`);

  const timeoutMs = reader.integer(obj, 'timeoutMs', { min: 50, max: 60_000, def: DEFAULT_TIMEOUT_MS });
  const interFramePauseMs = reader.integer(obj, 'interFramePauseMs', { min: 0, max: 10_000, def: 0 });
  const simulated = reader.boolean(obj, 'simulated', false);

  const isPzem = driver === 'pzem004t' || driver === 'pzem017';
  const maxSlave = isPzem ? PZEM_GENERAL_ADDRESS : 247;
  const slaveLabel = isPzem ? '248 = 0xF8 is the PZEM general address' : undefined;

  const common = {
    driver,
    timeoutMs: timeoutMs ?? DEFAULT_TIMEOUT_MS,
    interFramePauseMs: interFramePauseMs ?? 0,
    simulated: simulated ?? false,
    ...readRegisterOptions(reader, obj, driver),
  };

  if (transport === 'tcp') {
    const host = reader.string(obj, 'host', { required: true, maxLength: 253 });
    const port = reader.integer(obj, 'port', { min: 1, max: 65535, def: 502 });
    // Unit 0 and 255 are commonly used by TCP-native meters that ignore the unit id.
    const unitId = reader.integer(obj, 'unitId', { min: 0, max: 255, def: 1 });
    if (host === undefined || port === undefined || unitId === undefined) return undefined;
    return { transport, host, port, unitId, ...common };
  }

  const serial = readSerialSettings(reader, obj, DRIVER_SERIAL_DEFAULTS[driver]);
  const slaveId = reader.integer(obj, 'slaveId', { min: 1, max: maxSlave, def: 1, label: slaveLabel });
  if (transport === 'rtu') {
    const port = reader.string(obj, 'port', { required: true, maxLength: 255 });
    if (!serial || port === undefined || slaveId === undefined) return undefined;
    return { transport, port, slaveId, ...serial, ...common };
  }
  const host = reader.string(obj, 'host', { required: true, maxLength: 253 });
  const port = reader.integer(obj, 'port', { min: 1, max: 65535, required: true });
  if (!serial || host === undefined || port === undefined || slaveId === undefined) return undefined;
  return { transport, host, port, slaveId, ...serial, ...common };
}

function readSerialSettings(reader: ConfigReader, obj: Record<string, unknown>, defaults: SerialLineSettings): SerialLineSettings | undefined {
  const baudRate = reader.oneOf<BaudRate>(obj, 'baudRate', BAUD_RATES, defaults.baudRate);
  const parity = reader.oneOf<Parity>(obj, 'parity', PARITIES, defaults.parity);
  const dataBits = reader.oneOf<7 | 8>(obj, 'dataBits', [7, 8], defaults.dataBits);
  const stopBits = reader.oneOf<1 | 2>(obj, 'stopBits', [1, 2], defaults.stopBits);
  if (!baudRate || !parity || !dataBits || !stopBits) return undefined;
  return { baudRate, parity, dataBits, stopBits };
}

function readRegisterOptions(
  reader: ConfigReader,
  obj: Record<string, unknown>,
  driver: ModbusDriverName,
): Pick<ModbusDeviceConfig, 'registers' | 'maxGap' | 'maxRegistersPerRequest'> {
  const isSdm = driver === 'sdm120' || driver === 'sdm630';
  if (driver !== 'generic') {
    if (obj['registers'] !== undefined) reader.fail('registers', 'is only used with driver generic');
    if (!isSdm) {
      if (obj['maxGap'] !== undefined) reader.fail('maxGap', 'is only used with drivers generic, sdm120 and sdm630');
      if (obj['maxRegistersPerRequest'] !== undefined) {
        reader.fail('maxRegistersPerRequest', 'is only used with drivers generic, sdm120 and sdm630');
      }
      return {};
    }
  }
  const maxLimit = isSdm ? 80 : MODBUS_MAX_READ_REGISTERS;
  const maxRegistersPerRequest = reader.integer(obj, 'maxRegistersPerRequest', {
    min: isSdm ? 2 : 1,
    max: maxLimit,
    def: isSdm ? undefined : MODBUS_MAX_READ_REGISTERS,
  });
  if (isSdm && maxRegistersPerRequest !== undefined && maxRegistersPerRequest % 2 !== 0) {
    reader.fail('maxRegistersPerRequest', 'must be even for Eastron meters (a float is two registers)');
  }
  const maxGap = reader.integer(obj, 'maxGap', { min: 0, max: MODBUS_MAX_READ_REGISTERS, def: isSdm ? undefined : 10 });
  if (isSdm) return { maxGap, maxRegistersPerRequest };
  return { maxGap, maxRegistersPerRequest, registers: readRegisterMap(reader, obj['registers'], maxRegistersPerRequest ?? 125) };
}

function readRegisterMap(reader: ConfigReader, value: unknown, maxPerRequest: number): RegisterMapEntry[] | undefined {
  if (value === undefined || value === null) return reader.fail('registers', 'is required for driver generic');
  if (!Array.isArray(value) || value.length === 0) return reader.fail('registers', 'must be a non-empty list of register definitions');
  if (value.length > MAX_REGISTER_ENTRIES) return reader.fail('registers', `must have at most ${MAX_REGISTER_ENTRIES} entries`);
  const entries: RegisterMapEntry[] = [];
  const seen = new Set<string>();
  value.forEach((item, index) => {
    const r = reader.child(`registers[${index}]`);
    if (!isPlainObject(item)) {
      reader.fail(`registers[${index}]`, 'must be an object');
      return;
    }
    r.rejectUnknown(item, ['metric', 'function', 'address', 'type', 'order', 'scale', 'offset', 'unit', 'bit'], 'a register definition');
    let metric = r.string(item, 'metric', { required: true, maxLength: 64 });
    if (metric !== undefined && !METRIC_NAME_PATTERN.test(metric)) {
      metric = r.fail('metric', 'must start with a letter and contain only letters, digits, _ and . (at most 64)');
    } else if (metric !== undefined && seen.has(metric)) {
      metric = r.fail('metric', `repeats "${metric}": each metric may appear once`);
    }
    if (metric !== undefined) seen.add(metric);
    const fc = r.oneOf<3 | 4>(item, 'function', [3, 4]);
    const type = r.oneOf<RegisterType>(item, 'type', REGISTER_TYPES);
    const address = r.integer(item, 'address', { min: 0, max: 65535, required: true });
    if (type && address !== undefined && address + REGISTER_WIDTH[type] - 1 > 65535) {
      r.fail('address', `leaves no room for the ${REGISTER_WIDTH[type]} registers of a ${type}`);
    }
    if (type && REGISTER_WIDTH[type] > maxPerRequest) {
      r.fail('type', `needs ${REGISTER_WIDTH[type]} registers but maxRegistersPerRequest is ${maxPerRequest}`);
    }
    const order = r.oneOf(item, 'order', WORD_ORDERS, 'ABCD');
    const scale = r.finite(item, 'scale', 1);
    if (scale === 0) r.fail('scale', 'must not be 0');
    const offset = r.finite(item, 'offset', 0);
    const unit = r.string(item, 'unit', { required: false, maxLength: 16 });
    let bit: number | undefined;
    if (item['bit'] !== undefined && item['bit'] !== null && type) {
      if (isFloatType(type)) r.fail('bit', `cannot be used with ${type}; bit fields need an integer type`);
      else bit = r.integer(item, 'bit', { min: 0, max: REGISTER_WIDTH[type] * 16 - 1 });
    }
    if (metric === undefined || !fc || !type || address === undefined || !order || scale === undefined || offset === undefined) return;
    const entry: RegisterMapEntry = { metric, function: fc, address, type, order, scale, offset };
    if (unit !== undefined) entry.unit = unit;
    if (bit !== undefined) entry.bit = bit;
    entries.push(entry);
  });
  return entries;
}

function readTuyaConfig(reader: ConfigReader, obj: Record<string, unknown>): TuyaDeviceConfig | undefined {
  reader.rejectUnknown(obj, ['region', 'accessId', 'accessSecret', 'tuyaDeviceId', 'endpoint', 'scales', 'monthlyCallQuota', 'simulated'], 'a tuya device');
  const regions = Object.keys(TUYA_REGIONS) as TuyaRegion[];
  const region = reader.oneOf(obj, 'region', regions);
  const accessId = reader.string(obj, 'accessId', { required: true, maxLength: 128 });
  const accessSecret = reader.string(obj, 'accessSecret', { required: true, maxLength: 256 });
  const tuyaDeviceId = reader.string(obj, 'tuyaDeviceId', { required: true, maxLength: 128 });
  if (tuyaDeviceId !== undefined && !/^[A-Za-z0-9_-]+$/.test(tuyaDeviceId)) {
    reader.fail('tuyaDeviceId', 'must contain only letters, digits, _ and -');
  }
  let endpoint = reader.string(obj, 'endpoint', { required: false, maxLength: 255 });
  if (endpoint !== undefined) {
    try {
      const url = new URL(endpoint);
      if (url.protocol !== 'https:' && url.protocol !== 'http:') reader.fail('endpoint', 'must be an http(s) URL');
      endpoint = endpoint.replace(/\/+$/, '');
    } catch {
      reader.fail('endpoint', 'must be a URL such as https://openapi.tuyaeu.com');
    }
  }
  const monthlyCallQuota = reader.integer(obj, 'monthlyCallQuota', { min: 100, max: 100_000_000, def: DEFAULT_TUYA_MONTHLY_QUOTA });
  const simulated = reader.boolean(obj, 'simulated', false);
  const scales: Record<TuyaDataPoint, number> = { ...DEFAULT_TUYA_SCALES };
  const rawScales = obj['scales'];
  if (rawScales !== undefined && rawScales !== null) {
    if (!isPlainObject(rawScales)) reader.fail('scales', 'must be an object such as {"cur_power": 0.1}');
    else {
      const s = reader.child('scales');
      for (const [code, value] of Object.entries(rawScales)) {
        if (!(code in TUYA_DATA_POINTS)) s.fail(code, `is not a mapped data point (one of ${Object.keys(TUYA_DATA_POINTS).join(', ')})`);
        else if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) s.fail(code, 'must be a positive number');
        else scales[code as TuyaDataPoint] = value;
      }
    }
  }
  if (!region || !accessId || !accessSecret || !tuyaDeviceId || monthlyCallQuota === undefined || simulated === undefined) return undefined;
  const normalized: TuyaDeviceConfig = { region, accessId, accessSecret, tuyaDeviceId, scales, monthlyCallQuota, simulated };
  if (endpoint !== undefined) normalized.endpoint = endpoint;
  return normalized;
}

const MAX_MQTT_MAPPING_ENTRIES = 200;

function readMqttConfig(reader: ConfigReader, obj: Record<string, unknown>): MqttDeviceConfig | undefined {
  const format = reader.oneOf(obj, 'format', MQTT_FORMATS);
  if (!format) return undefined;
  const known = ['format', 'topic', ...(format === 'zigbee2mqtt' ? ['energyScale'] : []), ...(format === 'json' ? ['mapping', 'timestampPath'] : [])];
  reader.rejectUnknown(obj, known, `mqtt format ${format}`);
  let topic = reader.string(obj, 'topic', { required: true, maxLength: 200 });
  const problem = topic === undefined ? undefined : mqttTopicProblem(topic);
  if (problem) topic = reader.fail('topic', problem);
  const config: MqttDeviceConfig = { format, topic: topic ?? '' };
  if (format === 'zigbee2mqtt' && obj['energyScale'] !== undefined && obj['energyScale'] !== null) {
    const energyScale = reader.finite(obj, 'energyScale', 1);
    if (energyScale !== undefined && energyScale <= 0)
      reader.fail('energyScale', 'must be a positive number (10 for plugs that report energy 10 times too small)');
    else if (energyScale !== undefined) config.energyScale = energyScale;
  }
  if (format === 'json') {
    config.mapping = readMqttMapping(reader, obj['mapping']);
    const timestampPath = reader.string(obj, 'timestampPath', { required: false, maxLength: 256 });
    if (timestampPath !== undefined) {
      if (!parseJsonPath(timestampPath)) reader.fail('timestampPath', 'is not a path such as time or data.ts or items[0].time');
      else config.timestampPath = timestampPath;
    }
  }
  return topic === undefined ? undefined : config;
}

function readMqttMapping(reader: ConfigReader, value: unknown): MqttMappingEntry[] | undefined {
  if (value === undefined || value === null) return reader.fail('mapping', 'is required for format json: [{"metric": "power", "path": "a.b[0].c"}]');
  if (!Array.isArray(value) || value.length === 0) return reader.fail('mapping', 'must be a non-empty list of {metric, path, scale?, offset?}');
  if (value.length > MAX_MQTT_MAPPING_ENTRIES) return reader.fail('mapping', `must have at most ${MAX_MQTT_MAPPING_ENTRIES} entries`);
  const entries: MqttMappingEntry[] = [];
  const seen = new Set<string>();
  value.forEach((item, index) => {
    if (!isPlainObject(item)) {
      reader.fail(`mapping[${index}]`, 'must be an object');
      return;
    }
    const r = reader.child(`mapping[${index}]`);
    r.rejectUnknown(item, ['metric', 'path', 'scale', 'offset'], 'a mapping entry');
    let metric = r.string(item, 'metric', { required: true, maxLength: 64 });
    if (metric !== undefined && !METRIC_NAME_PATTERN.test(metric)) {
      metric = r.fail('metric', 'must start with a letter and contain only letters, digits, _ and . (at most 64)');
    } else if (metric !== undefined && seen.has(metric)) {
      metric = r.fail('metric', `repeats "${metric}": each metric may appear once`);
    }
    if (metric !== undefined) seen.add(metric);
    let path = r.string(item, 'path', { required: true, maxLength: 256 });
    if (path !== undefined && !parseJsonPath(path)) path = r.fail('path', 'is not a path such as ENERGY.Power or a.b[0].c');
    const scale = r.finite(item, 'scale', 1);
    if (scale === 0) r.fail('scale', 'must not be 0');
    const offset = r.finite(item, 'offset', 0);
    if (metric === undefined || path === undefined || scale === undefined || offset === undefined) return;
    entries.push({ metric, path, scale, offset });
  });
  return entries;
}

/** Settings that are never shown again once saved (and that the server stores encrypted). */
export const DEVICE_SECRET_FIELDS: readonly string[] = ['accessSecret'];

/**
 * A copy of a config safe to return to clients: secrets are replaced by a marker
 * (`hasAccessSecret: true` tells the console a secret is set without revealing it).
 */
export function redactDeviceConfig<T>(config: T): T {
  if (!isPlainObject(config)) return config;
  const copy: Record<string, unknown> = { ...config };
  for (const field of DEVICE_SECRET_FIELDS) {
    if (field in copy) {
      const present = typeof copy[field] === 'string' && (copy[field] as string).length > 0;
      delete copy[field];
      copy[`has${field[0].toUpperCase()}${field.slice(1)}`] = present;
    }
  }
  return copy as T;
}

/**
 * Merges an update onto a stored config keeping write-only secrets when the update
 * leaves them out (a client that never saw the secret cannot send it back).
 */
export function mergeSecretFields(stored: unknown, update: unknown): unknown {
  if (!isPlainObject(stored) || !isPlainObject(update)) return update;
  const merged: Record<string, unknown> = { ...update };
  for (const field of DEVICE_SECRET_FIELDS) {
    if ((merged[field] === undefined || merged[field] === '') && stored[field] !== undefined) merged[field] = stored[field];
  }
  delete merged['hasAccessSecret'];
  return merged;
}
