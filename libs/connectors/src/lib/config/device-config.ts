import type { ModbusDriverName } from '@pieng/shared';
import type { MqttDeviceConfig } from '../mqtt/mqtt-config';
import type { RegisterFunction, RegisterType, WordOrder } from '../modbus/register-codec';

export const BAUD_RATES = [1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200] as const;
export type BaudRate = (typeof BAUD_RATES)[number];
export const PARITIES = ['none', 'even', 'odd'] as const;
export type Parity = (typeof PARITIES)[number];
export const MODBUS_TRANSPORTS = ['rtu', 'tcp', 'rtu-tcp'] as const;
export type ModbusTransportKind = (typeof MODBUS_TRANSPORTS)[number];

/** One value of a generic register map: value = raw * scale + offset (or one bit). */
export interface RegisterMapEntry {
  metric: string;
  function: RegisterFunction;
  address: number;
  type: RegisterType;
  order: WordOrder;
  scale: number;
  offset: number;
  unit?: string;
  bit?: number;
}

/** Character framing of a serial line (also the serial side of an RTU-over-TCP gateway). */
export interface SerialLineSettings {
  baudRate: BaudRate;
  parity: Parity;
  dataBits: 7 | 8;
  stopBits: 1 | 2;
}

interface ModbusCommonConfig {
  driver: ModbusDriverName;
  /** Answer timeout per request. */
  timeoutMs: number;
  /** Extra silence after each transaction on this line, on top of t3.5. */
  interFramePauseMs: number;
  /** Readings are tagged `simulator` instead of modbus-rtu/modbus-tcp. */
  simulated: boolean;
  /** Generic driver only. */
  registers?: RegisterMapEntry[];
  /** Generic and SDM drivers: largest gap read through when merging (generic default 10). */
  maxGap?: number;
  /** Generic and SDM drivers: request size limit (generic default 125, SDM 80). */
  maxRegistersPerRequest?: number;
}

export interface ModbusRtuConfig extends ModbusCommonConfig, SerialLineSettings {
  transport: 'rtu';
  /** Serial device path; prefer /dev/serial/by-id/... which survives re-plugging. */
  port: string;
  slaveId: number;
}

export interface ModbusTcpConfig extends ModbusCommonConfig {
  transport: 'tcp';
  host: string;
  port: number;
  unitId: number;
}

/**
 * Raw RTU frames through a transparent serial-to-Ethernet gateway. The serial settings
 * describe the gateway's RS485 side; they only drive timing (t3.5, wire time).
 */
export interface ModbusRtuTcpConfig extends ModbusCommonConfig, SerialLineSettings {
  transport: 'rtu-tcp';
  host: string;
  port: number;
  slaveId: number;
}

export type ModbusDeviceConfig = ModbusRtuConfig | ModbusTcpConfig | ModbusRtuTcpConfig;

export const TUYA_REGIONS = {
  cn: 'https://openapi.tuyacn.com',
  us: 'https://openapi.tuyaus.com',
  'us-e': 'https://openapi-ueaz.tuyaus.com',
  eu: 'https://openapi.tuyaeu.com',
  'eu-w': 'https://openapi-weaz.tuyaeu.com',
  in: 'https://openapi.tuyain.com',
  sg: 'https://openapi-sg.iotbing.com',
} as const;
export type TuyaRegion = keyof typeof TUYA_REGIONS;

/** Energy-plug data points the Tuya driver maps, with the metric each feeds. */
export const TUYA_DATA_POINTS = {
  cur_voltage: 'voltage',
  cur_current: 'current',
  cur_power: 'power',
  add_ele: 'energy',
} as const;
export type TuyaDataPoint = keyof typeof TUYA_DATA_POINTS;

/**
 * Default scale from the raw data point to the canonical unit:
 * cur_voltage 0.1 V per unit; cur_current mA -> A (0.001); cur_power 0.1 W;
 * add_ele 0.001 kWh per unit = exactly 1 Wh per unit (scale 1). UNVERIFIED per plug model:
 * override with `scales`.
 */
export const DEFAULT_TUYA_SCALES: Readonly<Record<TuyaDataPoint, number>> = {
  cur_voltage: 0.1,
  cur_current: 0.001,
  cur_power: 0.1,
  add_ele: 1,
};

export interface TuyaDeviceConfig {
  region: TuyaRegion;
  accessId: string;
  /** Write-only: never send it back to a client (see redactDeviceConfig). */
  accessSecret: string;
  tuyaDeviceId: string;
  /** Base URL override (a proxy, or a local Tuya-compatible server); else the region's data centre. */
  endpoint?: string;
  /** Scales per data point, defaults filled in. */
  scales: Record<TuyaDataPoint, number>;
  /** Monthly API call quota of the Tuya project (default 26,000). */
  monthlyCallQuota: number;
  simulated: boolean;
}

/** The base URL a Tuya device is reached at. */
export function tuyaBaseUrl(config: Pick<TuyaDeviceConfig, 'region' | 'endpoint'>): string {
  return config.endpoint ?? TUYA_REGIONS[config.region];
}

/** Devices that push their readings over HTTP need no settings. */
export interface ApiDeviceConfig {
  simulated?: boolean;
}

/**
 * A virtual meter: named inputs (device ids of the same client) and one expression per metric
 * over `input.metric` (issue 18). Its values are computed from the inputs' stored data on each
 * query and never stored. The expressions are parsed by the API (restricted mathjs); here only
 * their shape is checked, so the connectors stay free of the expression language.
 */
export interface VirtualDeviceConfig {
  inputs: Record<string, number>;
  metrics: Record<string, string>;
}

export type NormalizedDeviceConfig = ModbusDeviceConfig | TuyaDeviceConfig | ApiDeviceConfig | MqttDeviceConfig | VirtualDeviceConfig;

/** Whose a device is, and who chose where it connects. */
export interface FieldDeviceOwner {
  /**
   * The client (tenant) the device reads for; null for a test read by platform staff. Tuya
   * accounts (and their tokens) are never shared between two clients.
   */
  clientId: number | null;
  /**
   * Its connection settings were set by a user of the client: every connect is held to the
   * plant-network policy again (a host name is resolved, checked and connected to by address).
   */
  heldToPolicy?: boolean;
}

/** What FieldBus needs to reach a device. */
export type FieldDevice =
  | ({ id: string; deviceType: 'modbus'; config: ModbusDeviceConfig } & FieldDeviceOwner)
  | ({ id: string; deviceType: 'tuya'; config: TuyaDeviceConfig } & FieldDeviceOwner);
