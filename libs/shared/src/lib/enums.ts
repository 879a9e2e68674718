/** Kinds of device a plant can register. */
export const DEVICE_TYPES = ['modbus', 'tuya', 'api', 'mqtt', 'virtual'] as const;
export type DeviceType = (typeof DEVICE_TYPES)[number];

/**
 * Where a reading came from. Stored with every measurement and in the audit
 * trail, so that simulated or demo data can never pass for a real meter's.
 */
export const READING_SOURCES = ['modbus-rtu', 'modbus-tcp', 'tuya', 'api', 'forward', 'mqtt', 'simulator', 'demo'] as const;
export type ReadingSource = (typeof READING_SOURCES)[number];

export const ALARM_OPERATORS = ['>', '<', '>=', '<=', '==', '!='] as const;
export type AlarmOperator = (typeof ALARM_OPERATORS)[number];

export const MODBUS_DRIVERS = ['pzem004t', 'pzem017', 'sdm120', 'sdm630', 'generic'] as const;
export type ModbusDriverName = (typeof MODBUS_DRIVERS)[number];

export const DEVICE_STATUSES = ['online', 'offline', 'backoff', 'unknown', 'inactive'] as const;
export type DeviceStatus = (typeof DEVICE_STATUSES)[number];

/**
 * What a platform alarm watches (platform staff's, no client, no device): free disk space of the data
 * directory in MB, the last scheduled backup having failed, the forwarding outbox stuck for minutes.
 */
export const PLATFORM_ALARM_TYPES = ['diskSpace', 'backupFailed', 'forwardingStuck'] as const;
export type PlatformAlarmType = (typeof PLATFORM_ALARM_TYPES)[number];
export const isPlatformAlarmType = (type: string | undefined | null): type is PlatformAlarmType =>
  (PLATFORM_ALARM_TYPES as readonly string[]).includes(type ?? '');

/** What an alarm rule watches (issue 15): a value against a threshold, silence, a rate, an energy counter going backwards; then the platform's own conditions. */
export const ALARM_RULE_TYPES = ['threshold', 'offline', 'rateOfChange', 'counterReset', ...PLATFORM_ALARM_TYPES] as const;
export type AlarmRuleType = (typeof ALARM_RULE_TYPES)[number];

/** ISA-18.2 priorities, most urgent first. */
export const ALARM_SEVERITIES = ['critical', 'major', 'minor', 'warning'] as const;
export type AlarmSeverity = (typeof ALARM_SEVERITIES)[number];

/** The languages of the console, the e-mails and the reports. */
export const LANGUAGES = ['en', 'pt-BR'] as const;
export type Language = (typeof LANGUAGES)[number];
