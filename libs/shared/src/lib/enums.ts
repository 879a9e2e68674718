/** Kinds of device a plant can register. */
export const DEVICE_TYPES = ['modbus', 'tuya', 'api', 'mqtt', 'virtual'] as const;
export type DeviceType = (typeof DEVICE_TYPES)[number];

/**
 * Where a reading came from. Stored with every measurement and in the audit
 * trail, so that simulated or demo data can never pass for a real meter's.
 */
export const READING_SOURCES = [
  'modbus-rtu',
  'modbus-tcp',
  'tuya',
  'api',
  'forward',
  'mqtt',
  'simulator',
  'demo',
] as const;
export type ReadingSource = (typeof READING_SOURCES)[number];

export const ALARM_OPERATORS = ['>', '<', '>=', '<=', '==', '!='] as const;
export type AlarmOperator = (typeof ALARM_OPERATORS)[number];

export const MODBUS_DRIVERS = ['pzem004t', 'pzem017', 'sdm120', 'sdm630', 'generic'] as const;
export type ModbusDriverName = (typeof MODBUS_DRIVERS)[number];

export const DEVICE_STATUSES = ['online', 'offline', 'backoff', 'unknown', 'inactive'] as const;
export type DeviceStatus = (typeof DEVICE_STATUSES)[number];
