import { isTimeZone } from '../common/time-zones';
import { plainToInstance, Transform } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsNumber, IsOptional, IsString, IsUrl, Matches, Max, Min, MinLength, validateSync } from 'class-validator';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { DEFAULT_PLANT_NETWORK_POLICY, NetworkList, isValidSerialGlob, isValidTuyaEndpoint, splitList, type PlantNetworkPolicy } from '@pieng/connectors';

const toBool = ({ value }: { value: unknown }) => {
  if (value === undefined || value === '') return undefined;
  if (value === 'true' || value === '1' || value === true) return true;
  if (value === 'false' || value === '0' || value === false) return false;
  return value; // left as is, so that IsBoolean names the variable
};
const toInt = ({ value }: { value: unknown }) => (value === undefined || value === '' ? undefined : /^-?\d+$/.test(String(value)) ? Number(value) : value);
const toNumber = ({ value }: { value: unknown }) =>
  value === undefined || value === '' ? undefined : /^\d+(\.\d+)?$/.test(String(value)) ? Number(value) : value;
const emptyToUndefined = ({ value }: { value: unknown }) => (value === '' ? undefined : value);

/**
 * LOG_LEVEL: NestJS's level names, and pino's (the logger underneath, and what log shippers and
 * most Node services use) as aliases of the nearest Nest level.
 */
const LOG_LEVEL_NAMES: Record<string, AppConfig['logLevel']> = {
  error: 'error',
  warn: 'warn',
  log: 'log',
  debug: 'debug',
  verbose: 'verbose',
  fatal: 'error',
  info: 'log',
  trace: 'verbose',
};

/** SECRETS_KEY: 32 bytes as 64 hex characters, or as base64 (43 characters and an optional `=`; URL-safe letters allowed). */
const SECRETS_KEY_PATTERN = /^\s*([0-9a-fA-F]{64}|[A-Za-z0-9+/_-]{43}=?)\s*$/;
export const SECRETS_KEY_FORMAT = '32 random bytes written as 64 hex characters or in base64 (`openssl rand -base64 32` makes one)';

/** The key's 32 bytes, or undefined when the text is not a key in either form. */
export function parseSecretsKey(text: string): Buffer | undefined {
  const match = SECRETS_KEY_PATTERN.exec(text);
  if (!match) return undefined;
  const key = match[1].length === 64 ? Buffer.from(match[1], 'hex') : Buffer.from(match[1], 'base64');
  return key.length === 32 ? key : undefined;
}

/**
 * The process environment as the server reads it. Every variable is optional;
 * a bad value stops the start with a message naming the variable.
 */
class EnvironmentVariables {
  @IsOptional() @IsString() @Transform(emptyToUndefined) APP_NAME?: string;
  @IsOptional()
  @Matches(/^\/[A-Za-z0-9/_-]*$/, { message: 'API_PREFIX must start with / (for example /api)' })
  @Transform(emptyToUndefined)
  API_PREFIX?: string;
  @IsOptional() @Transform(toInt) @IsInt() @Min(0) @Max(65535) PORT?: number;
  @IsOptional() @IsString() @Transform(emptyToUndefined) DATA_DIR?: string;
  @IsOptional()
  @Matches(/^(sqlite:.+|postgres(ql)?:\/\/.+)$/, {
    message: 'DATABASE_URL must be sqlite:<file path> or postgres://user@host:port/database',
  })
  @Transform(emptyToUndefined)
  DATABASE_URL?: string;
  @IsOptional() @IsString() @Transform(emptyToUndefined) SCHEDULER_TIMEZONE?: string;
  @IsOptional() @IsString() @Transform(emptyToUndefined) PLANT_TIMEZONE?: string;
  @IsOptional() @Transform(toBool) @IsBoolean() ENABLE_FORWARDING?: boolean;
  @IsOptional()
  @Transform(emptyToUndefined)
  @IsUrl({ require_tld: false, require_protocol: true, protocols: ['http', 'https'] })
  FORWARDER_URL?: string;
  @IsOptional() @IsString() @Transform(emptyToUndefined) FORWARDER_API_KEY?: string;
  @IsOptional() @Transform(toInt) @IsInt() @Min(1) @Max(10000) FORWARDER_BATCH_SIZE?: number;
  @IsOptional()
  @Transform(toNumber)
  @IsNumber({}, { message: 'FORWARDER_MAX_OUTBOX_MB must be a number of megabytes (e.g. 256 or 0.5)' })
  @Min(0.001)
  FORWARDER_MAX_OUTBOX_MB?: number;
  @IsOptional() @Transform(toInt) @IsInt() @Min(100) @Max(600000) FORWARDER_TIMEOUT_MS?: number;
  @IsOptional() @Transform(toInt) @IsInt() @Min(10) @Max(3600000) FORWARDER_BACKOFF_MIN_MS?: number;
  @IsOptional() @Transform(toInt) @IsInt() @Min(10) @Max(3600000) FORWARDER_BACKOFF_MAX_MS?: number;
  @IsOptional() @IsString() @Transform(emptyToUndefined) AUDIT_LOG_PATH?: string;
  @IsOptional()
  @IsString()
  @MinLength(32, { message: 'JWT_SECRET must be at least 32 characters long' })
  @Transform(emptyToUndefined)
  JWT_SECRET?: string;
  @IsOptional()
  @Matches(SECRETS_KEY_PATTERN, { message: `SECRETS_KEY must be ${SECRETS_KEY_FORMAT}` })
  @Transform(emptyToUndefined)
  SECRETS_KEY?: string;
  @IsOptional() @IsString() @Transform(emptyToUndefined) ADMIN_EMAIL?: string;
  @IsOptional() @IsString() @Transform(emptyToUndefined) ADMIN_PASSWORD?: string;
  @IsOptional() @Transform(toBool) @IsBoolean() ENABLE_DEV_ENDPOINTS?: boolean;
  @IsOptional()
  @IsIn(Object.keys(LOG_LEVEL_NAMES), { message: `LOG_LEVEL must be one of ${Object.keys(LOG_LEVEL_NAMES).join(', ')}` })
  @Transform(({ value }) => (value === '' ? undefined : typeof value === 'string' ? value.toLowerCase() : value))
  LOG_LEVEL?: string;
  @IsOptional() @IsIn(['json', 'pretty']) @Transform(emptyToUndefined) LOG_FORMAT?: string;
  @IsOptional()
  @IsString()
  @MinLength(16, { message: 'METRICS_TOKEN must be at least 16 characters long' })
  @Matches(/^[\x21-\x7e]+$/, { message: 'METRICS_TOKEN must be printable ASCII without spaces (Prometheus sends it as a bearer token)' })
  @Transform(emptyToUndefined)
  METRICS_TOKEN?: string;
  @IsOptional() @Transform(toBool) @IsBoolean() ENABLE_POLLING?: boolean;
  @IsOptional() @Transform(toInt) @IsInt() @Min(60) @Max(86400) ACCESS_TOKEN_TTL_SEC?: number;
  @IsOptional() @Transform(toInt) @IsInt() @Min(2) @Max(3600) LEASE_TTL_SEC?: number;
  @IsOptional()
  @Transform(toInt)
  @IsInt({ message: 'MAX_DEVICES_PER_CLIENT must be a whole number of devices' })
  @Min(1)
  @Max(10_000_000)
  MAX_DEVICES_PER_CLIENT?: number;
  @IsOptional() @IsString() @Transform(emptyToUndefined) BACKUP_DIR?: string;
  @IsOptional() @Transform(toInt) @IsInt() @Min(1) @Max(3650) BACKUP_RETENTION_DAYS?: number;
  @IsOptional() @Transform(toInt) @IsInt() @Min(0) @Max(23) BACKUP_HOUR?: number;
  // Lists, checked entry by entry in loadConfig (networkSettings).
  @IsOptional() @IsString() @Transform(emptyToUndefined) MODBUS_ALLOWED_NETWORKS?: string;
  @IsOptional() @IsString() @Transform(emptyToUndefined) SERIAL_PORT_ALLOW?: string;
  @IsOptional() @IsString() @Transform(emptyToUndefined) TUYA_ALLOWED_ENDPOINTS?: string;
  @IsOptional() @IsString() @Transform(emptyToUndefined) OUTBOUND_ALLOWED_NETWORKS?: string;
  @IsOptional() @Transform(toInt) @IsInt() @Min(10) @Max(3600000) QUERY_TIMEOUT_MS?: number;
  @IsOptional() @Transform(toInt) @IsInt() @Min(1) @Max(10000) LIVE_STREAMS_PER_PRINCIPAL?: number;
  @IsOptional() @Transform(toBool) @IsBoolean() LIVE_ACROSS_INSTANCES?: boolean;
  @IsOptional() @Transform(toInt) @IsInt({ message: 'RETENTION_RAW_DAYS must be a whole number of days' }) @Min(1) @Max(36500) RETENTION_RAW_DAYS?: number;
  @IsOptional() @Transform(toInt) @IsInt({ message: 'RETENTION_1M_DAYS must be a whole number of days' }) @Min(1) @Max(36500) RETENTION_1M_DAYS?: number;
  @IsOptional()
  @Transform(toInt)
  @IsInt({ message: 'RETENTION_15M_DAYS must be a whole number of days (empty: kept forever)' })
  @Min(1)
  @Max(36500)
  RETENTION_15M_DAYS?: number;
  @IsOptional()
  @Transform(toInt)
  @IsInt({ message: 'RETENTION_1H_DAYS must be a whole number of days (empty: kept forever)' })
  @Min(1)
  @Max(36500)
  RETENTION_1H_DAYS?: number;
  @IsOptional() @Transform(toInt) @IsInt() @Min(0) @Max(23) RETENTION_HOUR?: number;
  @IsOptional()
  @Transform(emptyToUndefined)
  @Matches(/^(mqtts?|tcp|ssl|wss?):\/\/[^\s/]+(\/.*)?$/, {
    message: 'MQTT_URL must be a broker URL such as mqtt://127.0.0.1:1883 or mqtts://broker.example.com:8883',
  })
  MQTT_URL?: string;
  @IsOptional() @IsString() @Transform(emptyToUndefined) MQTT_USERNAME?: string;
  @IsOptional() @IsString() @Transform(emptyToUndefined) MQTT_PASSWORD?: string;
  @IsOptional()
  @Transform(emptyToUndefined)
  @Matches(/^[\x21-\x7e]{1,128}$/, { message: 'MQTT_CLIENT_ID must be 1-128 printable ASCII characters without spaces' })
  MQTT_CLIENT_ID?: string;
  // Files, read in loadConfig (mqttSettings): a missing or unreadable one stops the start naming it.
  @IsOptional() @IsString() @Transform(emptyToUndefined) MQTT_CA_FILE?: string;
  @IsOptional() @IsString() @Transform(emptyToUndefined) MQTT_CERT_FILE?: string;
  @IsOptional() @IsString() @Transform(emptyToUndefined) MQTT_KEY_FILE?: string;
  @IsOptional()
  @Transform(toInt)
  @IsIn([4, 5], { message: 'MQTT_PROTOCOL_VERSION must be 5 (MQTT 5, the default) or 4 (MQTT 3.1.1, for brokers without MQTT 5)' })
  MQTT_PROTOCOL_VERSION?: 4 | 5;
  @IsOptional() @Transform(toBool) @IsBoolean({ message: 'MQTT_PUBLISH must be true or false' }) MQTT_PUBLISH?: boolean;
  @IsOptional()
  @Transform(emptyToUndefined)
  @IsUrl(
    { require_tld: false, require_protocol: true, protocols: ['http', 'https'] },
    { message: 'PUBLIC_URL must be the http(s) URL users open the console at, such as https://energia.example.com' },
  )
  PUBLIC_URL?: string;
  @IsOptional()
  @Transform(emptyToUndefined)
  @Matches(/^smtps?:\/\/[^\s]+$/, { message: 'SMTP_URL must be smtp://user:pass@host:587 or smtps://user:pass@host:465' })
  SMTP_URL?: string;
  @IsOptional() @IsString() @Transform(emptyToUndefined) SMTP_FROM?: string;
  @IsOptional()
  @Transform(emptyToUndefined)
  @IsUrl(
    { require_tld: false, require_protocol: true, protocols: ['http', 'https'] },
    { message: 'TELEGRAM_API_URL must be an http(s) URL such as https://api.telegram.org' },
  )
  TELEGRAM_API_URL?: string;
  @IsOptional()
  @Transform(emptyToUndefined)
  @IsUrl(
    { require_tld: false, require_protocol: true, protocols: ['http', 'https'] },
    { message: "SMS_GATEWAY_URL must be the gateway's http(s) URL (Twilio: https://api.twilio.com/2010-04-01/Accounts/<AccountSid>/Messages.json)" },
  )
  SMS_GATEWAY_URL?: string;
  @IsOptional() @IsString() @Transform(emptyToUndefined) SMS_GATEWAY_TOKEN?: string;
  @IsOptional()
  @IsIn(['twilio', 'json'], { message: 'SMS_GATEWAY_FORMAT must be twilio (form-encoded To, From, Body) or json' })
  @Transform(emptyToUndefined)
  SMS_GATEWAY_FORMAT?: string;
  @IsOptional() @IsString() @Transform(emptyToUndefined) SMS_FROM?: string;
  @IsOptional() @Transform(toInt) @IsInt() @Min(10) @Max(3600000) NOTIFICATION_RETRY_MIN_MS?: number;
  @IsOptional() @Transform(toInt) @IsInt() @Min(0) @Max(3600000) REPORT_SCHEDULE_CHECK_MS?: number;
  @IsOptional() @Transform(toInt) @IsInt() @Min(10) @Max(86400000) NOTIFICATION_RETRY_MAX_MS?: number;
}

export type DatabaseSettings = { type: 'sqlite'; path: string } | { type: 'postgres'; url: string };

export interface ForwardingSettings {
  enabled: boolean;
  url?: string;
  apiKey?: string;
  /** Readings per request to the next instance. */
  batchSize: number;
  /** Bound of the outbox (its readings' JSON plus a fixed overhead per row); beyond it readings wait in the measurements table. */
  maxOutboxBytes: number;
  /** A request that takes longer is abandoned and retried. */
  timeoutMs: number;
  /** Retry delays: doubling from min up to max, with jitter. */
  backoffMinMs: number;
  backoffMaxMs: number;
}

/** Where and when the server writes its daily SQLite backup. */
export interface BackupSettings {
  /** BACKUP_DIR (default <DATA_DIR>/backups). */
  dir: string;
  /** BACKUP_RETENTION_DAYS (default 7): scheduled backups older than this are deleted. */
  retentionDays: number;
  /** BACKUP_HOUR (0-23, default 3) in SCHEDULER_TIMEZONE. */
  hour: number;
}

/**
 * How long each resolution is kept, in days (null: forever). Rows older than that many whole UTC
 * days before today are deleted by the daily retention job; a client may have its own figures
 * (set by platform staff), which win over these.
 */
export interface RetentionDays {
  /** RETENTION_RAW_DAYS (default 90): the raw readings (measurements). */
  raw: number | null;
  /** RETENTION_1M_DAYS (default 180): 1-minute rollups. */
  oneMinute: number | null;
  /** RETENTION_15M_DAYS (default: forever): 15-minute rollups. */
  fifteenMinutes: number | null;
  /** RETENTION_1H_DAYS (default: forever): 1-hour rollups. */
  oneHour: number | null;
}

export interface RetentionSettings {
  days: RetentionDays;
  /** RETENTION_HOUR (0-23, default 2) in SCHEDULER_TIMEZONE: when the daily retention job runs. */
  hour: number;
}

/**
 * What the server may reach on behalf of users of a client (platform staff are not held to it):
 * the plant-network policy for meters, and the networks besides the public internet that
 * notifications may be sent to.
 */
export interface NetworkSettings extends PlantNetworkPolicy {
  /** OUTBOUND_ALLOWED_NETWORKS: private networks a client's notification targets may lie in (default none). */
  outboundAllowedNetworks: string[];
}

/** The MQTT broker the server subscribes to (MQTT_URL and friends); absent when MQTT_URL is unset. */
export interface MqttSettings {
  url: string;
  username?: string;
  password?: string;
  /**
   * MQTT_CLIENT_ID, by default derived from APP_NAME and the database (the same on every instance of
   * one database, and across restarts): the broker keeps the persistent session under it.
   */
  clientId: string;
  /**
   * MQTT_PROTOCOL_VERSION: 5 by default, because an MQTT 5 client tells the broker how many unacknowledged
   * messages it takes (Receive Maximum), which lets readings be stored in batches; under 3.1.1 the broker's
   * own limit applies (Mosquitto's max_inflight_messages, 20 by default).
   */
  protocolVersion: 4 | 5;
  /** MQTT_PUBLISH: each stored reading that did not come in over MQTT is published, with Home Assistant discovery configs (mqtt-publisher.ts). */
  publish: boolean;
  /** PEM contents of MQTT_CA_FILE, MQTT_CERT_FILE, MQTT_KEY_FILE. */
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
}

/** Where alarm notifications go out (the channels themselves are rows: see the notifications module). */
export interface NotificationSettings {
  /** PUBLIC_URL: the console's address, for the link to the event in a message; without it messages carry no link. */
  publicUrl?: string;
  /** SMTP_URL and SMTP_FROM: the mail server e-mail channels send through; without SMTP_URL e-mail channels fail with that reason. */
  smtpUrl?: string;
  smtpFrom: string;
  /** TELEGRAM_API_URL (default https://api.telegram.org). */
  telegramApiUrl: string;
  /** SMS_GATEWAY_URL, SMS_GATEWAY_TOKEN (Twilio: AccountSid:AuthToken, sent as Basic auth; json: a bearer token), SMS_GATEWAY_FORMAT, SMS_FROM. */
  smsGatewayUrl?: string;
  smsGatewayToken?: string;
  smsGatewayFormat: 'twilio' | 'json';
  smsFrom?: string;
  /** Retry delays of a failed delivery: doubling from min up to max, with jitter, for 24 hours. */
  retryMinMs: number;
  retryMaxMs: number;
  /** REPORT_SCHEDULE_CHECK_MS: how often the lease holder looks for scheduled monthly reports due (default a minute; 0: never, the specs tick by hand). */
  reportScheduleCheckMs: number;
}

/** The validated, typed configuration every module receives. */
export interface AppConfig {
  appName: string;
  apiPrefix: string;
  port: number;
  dataDir: string;
  database: DatabaseSettings;
  schedulerTimezone: string;
  /** PLANT_TIMEZONE (default UTC): the time zone of a client that has none of its own (days on charts, and later energy periods). */
  plantTimezone: string;
  forwarding: ForwardingSettings;
  auditLogPath: string;
  jwtSecret?: string;
  /** SECRETS_KEY: the key stored secrets are encrypted with (without it, SQLite generates one into DATA_DIR; see resolveSecretsKey). */
  secretsKey?: Buffer;
  adminEmail?: string;
  adminPassword?: string;
  enableDevEndpoints: boolean;
  enablePolling: boolean;
  accessTokenTtlSec: number;
  /**
   * How long a lease (a device polled, the forwarder) outlives its holder's last renewal (renewed every second).
   * When an instance dies without releasing its leases, another takes over within this time plus one second.
   */
  leaseTtlSec: number;
  /** Most devices one client may have, however they are created (the console, POST /api/devices, readings of a `forward` key). */
  maxDevicesPerClient: number;
  logLevel: 'error' | 'warn' | 'log' | 'debug' | 'verbose';
  logFormat: 'json' | 'pretty';
  /** Bearer token a Prometheus scraper may present to GET /api/metrics/prometheus (besides staff logins). */
  metricsToken?: string;
  backup: BackupSettings;
  network: NetworkSettings;
  /**
   * Bound of a read that may scan many rows (charts, statistics, raw pages): past it the read is
   * stopped and answers 422 (or 503 when it never got a turn); see Database.scan.
   */
  queryTimeoutMs: number;
  /** Live streams (GET /api/live) one user or API key may hold open on this instance. */
  liveStreamsPerPrincipal: number;
  /** On PostgreSQL: stored readings reach the live streams of every instance on the database (LISTEN/NOTIFY). */
  liveAcrossInstances: boolean;
  retention: RetentionSettings;
  /** MQTT meters; undefined: MQTT off. */
  mqtt?: MqttSettings;
  notifications: NotificationSettings;
}

export const APP_CONFIG = Symbol('APP_CONFIG');

export class ConfigurationError extends Error {}

/** Variables whose value never appears in an error message (it would end up in a log). */
const SECRET_VARIABLES = new Set([
  'SECRETS_KEY',
  'JWT_SECRET',
  'ADMIN_PASSWORD',
  'FORWARDER_API_KEY',
  'METRICS_TOKEN',
  'MQTT_PASSWORD',
  'MQTT_URL',
  'SMTP_URL',
  'SMS_GATEWAY_TOKEN',
]);

/** Validates the environment once; throws a ConfigurationError naming every bad variable. */
/**
 * `requireSecretsKey: false` for the one-shot commands that never touch a stored secret
 * (audit-verify, db-backup): they run beside a PostgreSQL server without its SECRETS_KEY.
 */
export function loadConfig(env: Record<string, string | undefined>, cwd = process.cwd(), { requireSecretsKey = true } = {}): AppConfig {
  const vars = plainToInstance(EnvironmentVariables, { ...env }, { excludeExtraneousValues: false });
  const errors = validateSync(vars, { skipMissingProperties: false, forbidUnknownValues: false });
  if (errors.length > 0) {
    const lines = errors.map((e) => {
      const value = SECRET_VARIABLES.has(e.property) ? '(value hidden)' : JSON.stringify(env[e.property]);
      const reasons = Object.values(e.constraints ?? {}).join('; ');
      return `${e.property}=${value}: ${reasons}`;
    });
    throw new ConfigurationError(`Invalid configuration:\n  ${lines.join('\n  ')}`);
  }
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(cwd, p));
  const dataDir = abs(vars.DATA_DIR ?? 'data');
  const url = vars.DATABASE_URL;
  let database: DatabaseSettings;
  if (!url) database = { type: 'sqlite', path: resolve(dataDir, 'app.db') };
  else if (url.startsWith('sqlite:')) database = { type: 'sqlite', path: abs(url.slice('sqlite:'.length)) };
  else database = { type: 'postgres', url };
  const network = networkSettings(vars);
  if (requireSecretsKey && database.type === 'postgres' && !vars.SECRETS_KEY) {
    // A key generated into DATA_DIR would differ per instance, and each instance has a DATA_DIR of its own.
    throw new ConfigurationError(
      `Invalid configuration:\n  SECRETS_KEY is required with a PostgreSQL DATABASE_URL, and must be the same on every instance of the database: device secrets are stored encrypted with it; it is ${SECRETS_KEY_FORMAT}`,
    );
  }
  const timezone = vars.SCHEDULER_TIMEZONE ?? 'UTC';
  const plantTimezone = vars.PLANT_TIMEZONE ?? 'UTC';
  for (const [name, zone] of [
    ['SCHEDULER_TIMEZONE', timezone],
    ['PLANT_TIMEZONE', plantTimezone],
  ]) {
    if (!isTimeZone(zone))
      throw new ConfigurationError(`Invalid configuration:\n  ${name}=${JSON.stringify(zone)}: not a known IANA time zone (for example America/Sao_Paulo)`);
  }
  const appName = vars.APP_NAME ?? 'Pieng Medidor Master';
  const mqtt = mqttSettings(vars, appName, database, abs);
  return {
    mqtt,
    appName,
    apiPrefix: vars.API_PREFIX ?? '/api',
    port: vars.PORT ?? 3000,
    dataDir,
    database,
    schedulerTimezone: timezone,
    plantTimezone,
    forwarding: {
      enabled: vars.ENABLE_FORWARDING ?? true,
      url: vars.FORWARDER_URL,
      apiKey: vars.FORWARDER_API_KEY,
      batchSize: vars.FORWARDER_BATCH_SIZE ?? 500,
      maxOutboxBytes: Math.round((vars.FORWARDER_MAX_OUTBOX_MB ?? 256) * 1024 * 1024),
      timeoutMs: vars.FORWARDER_TIMEOUT_MS ?? 15_000,
      backoffMinMs: vars.FORWARDER_BACKOFF_MIN_MS ?? 500,
      backoffMaxMs: Math.max(vars.FORWARDER_BACKOFF_MAX_MS ?? 60_000, vars.FORWARDER_BACKOFF_MIN_MS ?? 500),
    },
    auditLogPath: abs(vars.AUDIT_LOG_PATH ?? resolve(dataDir, 'audit.log')),
    jwtSecret: vars.JWT_SECRET,
    secretsKey: vars.SECRETS_KEY ? parseSecretsKey(vars.SECRETS_KEY) : undefined,
    adminEmail: vars.ADMIN_EMAIL,
    adminPassword: vars.ADMIN_PASSWORD,
    enableDevEndpoints: vars.ENABLE_DEV_ENDPOINTS ?? false,
    enablePolling: vars.ENABLE_POLLING ?? true,
    accessTokenTtlSec: vars.ACCESS_TOKEN_TTL_SEC ?? 900,
    leaseTtlSec: vars.LEASE_TTL_SEC ?? 5,
    maxDevicesPerClient: vars.MAX_DEVICES_PER_CLIENT ?? 1000,
    logLevel: vars.LOG_LEVEL ? LOG_LEVEL_NAMES[vars.LOG_LEVEL] : 'log',
    // A person at a terminal gets readable lines; a service manager or container gets JSON.
    logFormat: (vars.LOG_FORMAT as AppConfig['logFormat']) ?? (process.stdout.isTTY ? 'pretty' : 'json'),
    metricsToken: vars.METRICS_TOKEN,
    backup: {
      dir: vars.BACKUP_DIR ? abs(vars.BACKUP_DIR) : resolve(dataDir, 'backups'),
      retentionDays: vars.BACKUP_RETENTION_DAYS ?? 7,
      hour: vars.BACKUP_HOUR ?? 3,
    },
    network,
    queryTimeoutMs: vars.QUERY_TIMEOUT_MS ?? 10_000,
    liveStreamsPerPrincipal: vars.LIVE_STREAMS_PER_PRINCIPAL ?? 10,
    liveAcrossInstances: vars.LIVE_ACROSS_INSTANCES ?? true,
    retention: {
      days: {
        raw: vars.RETENTION_RAW_DAYS ?? 90,
        oneMinute: vars.RETENTION_1M_DAYS ?? 180,
        fifteenMinutes: vars.RETENTION_15M_DAYS ?? null,
        oneHour: vars.RETENTION_1H_DAYS ?? null,
      },
      hour: vars.RETENTION_HOUR ?? 2,
    },
    notifications: {
      publicUrl: vars.PUBLIC_URL?.replace(/\/+$/, ''),
      smtpUrl: vars.SMTP_URL,
      smtpFrom: vars.SMTP_FROM ?? `${appName} <alarms@localhost>`,
      telegramApiUrl: (vars.TELEGRAM_API_URL ?? 'https://api.telegram.org').replace(/\/+$/, ''),
      smsGatewayUrl: vars.SMS_GATEWAY_URL,
      smsGatewayToken: vars.SMS_GATEWAY_TOKEN,
      smsGatewayFormat: (vars.SMS_GATEWAY_FORMAT as 'twilio' | 'json' | undefined) ?? 'twilio',
      smsFrom: vars.SMS_FROM,
      retryMinMs: vars.NOTIFICATION_RETRY_MIN_MS ?? 5_000,
      retryMaxMs: Math.max(vars.NOTIFICATION_RETRY_MAX_MS ?? 900_000, vars.NOTIFICATION_RETRY_MIN_MS ?? 5_000),
      reportScheduleCheckMs: vars.REPORT_SCHEDULE_CHECK_MS ?? 60_000,
    },
  };
}

/**
 * MQTT_* as settings (undefined without MQTT_URL). The certificate files are read now, so that a
 * missing one stops the start naming its variable rather than failing at every reconnect.
 */
function mqttSettings(vars: EnvironmentVariables, appName: string, database: DatabaseSettings, abs: (p: string) => string): MqttSettings | undefined {
  const names = [
    'MQTT_USERNAME',
    'MQTT_PASSWORD',
    'MQTT_CLIENT_ID',
    'MQTT_CA_FILE',
    'MQTT_CERT_FILE',
    'MQTT_KEY_FILE',
    'MQTT_PROTOCOL_VERSION',
    'MQTT_PUBLISH',
  ] as const;
  if (!vars.MQTT_URL) {
    const stray = names.filter((n) => vars[n] !== undefined);
    if (stray.length)
      throw new ConfigurationError(
        `Invalid configuration:\n  ${stray.join(', ')} set without MQTT_URL: set MQTT_URL (mqtt://host:1883) to read MQTT meters, or unset ${stray.length === 1 ? 'it' : 'them'}`,
      );
    return undefined;
  }
  const problems: string[] = [];
  const file = (name: 'MQTT_CA_FILE' | 'MQTT_CERT_FILE' | 'MQTT_KEY_FILE'): Buffer | undefined => {
    const path = vars[name];
    if (path === undefined) return undefined;
    try {
      return readFileSync(abs(path));
    } catch (err) {
      problems.push(`${name}=${JSON.stringify(path)}: cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
      return undefined;
    }
  };
  const ca = file('MQTT_CA_FILE');
  const cert = file('MQTT_CERT_FILE');
  const key = file('MQTT_KEY_FILE');
  if ((vars.MQTT_CERT_FILE === undefined) !== (vars.MQTT_KEY_FILE === undefined)) {
    problems.push(
      `${vars.MQTT_CERT_FILE === undefined ? 'MQTT_KEY_FILE' : 'MQTT_CERT_FILE'} needs ${vars.MQTT_CERT_FILE === undefined ? 'MQTT_CERT_FILE' : 'MQTT_KEY_FILE'}: a client certificate goes with its key`,
    );
  }
  if (problems.length) throw new ConfigurationError(`Invalid configuration:\n  ${problems.join('\n  ')}`);
  // The same on every instance of one database and across restarts, so that the broker's persistent session follows the lease.
  const databaseIdentity = database.type === 'sqlite' ? database.path : database.url.replace(/\/\/[^@/]*@/, '//').replace(/\?.*$/, '');
  const clientId = vars.MQTT_CLIENT_ID ?? `pieng-${createHash('sha256').update(`${appName}\n${databaseIdentity}`).digest('hex').slice(0, 16)}`;
  return {
    url: vars.MQTT_URL,
    clientId,
    protocolVersion: vars.MQTT_PROTOCOL_VERSION ?? 5,
    publish: vars.MQTT_PUBLISH ?? false,
    ...(vars.MQTT_USERNAME !== undefined && { username: vars.MQTT_USERNAME }),
    ...(vars.MQTT_PASSWORD !== undefined && { password: vars.MQTT_PASSWORD }),
    ...(ca && { ca }),
    ...(cert && { cert }),
    ...(key && { key }),
  };
}

/** The four allow-lists, each entry checked; a bad entry stops the start naming its variable and the entry. */
function networkSettings(vars: EnvironmentVariables): NetworkSettings {
  const problems: string[] = [];
  const list = (name: keyof EnvironmentVariables, defaults: readonly string[], bad: (entries: string[]) => string[], what: string): string[] => {
    const raw = vars[name] as string | undefined;
    if (raw === undefined) return [...defaults];
    const entries = splitList(raw);
    const invalid = bad(entries);
    if (invalid.length > 0)
      problems.push(
        `${name}=${JSON.stringify(raw)}: ${invalid.map((e) => JSON.stringify(e)).join(', ')} ${invalid.length === 1 ? 'is not' : 'are not'} ${what}`,
      );
    return entries;
  };
  const cidr = 'an IP address or CIDR block (e.g. 10.0.0.0/8, 192.168.1.50, fd00::/8)';
  const settings: NetworkSettings = {
    modbusAllowedNetworks: list('MODBUS_ALLOWED_NETWORKS', DEFAULT_PLANT_NETWORK_POLICY.modbusAllowedNetworks, NetworkList.invalidEntries, cidr),
    serialPortAllow: list(
      'SERIAL_PORT_ALLOW',
      DEFAULT_PLANT_NETWORK_POLICY.serialPortAllow,
      (e) => e.filter((g) => !isValidSerialGlob(g)),
      'an absolute path or glob (e.g. /dev/ttyUSB*)',
    ),
    tuyaAllowedEndpoints: list(
      'TUYA_ALLOWED_ENDPOINTS',
      [],
      (e) => e.filter((u) => !isValidTuyaEndpoint(u)),
      'an http(s) URL without credentials, query or fragment (e.g. https://tuya-proxy.plant.lan)',
    ),
    outboundAllowedNetworks: list('OUTBOUND_ALLOWED_NETWORKS', [], NetworkList.invalidEntries, cidr),
  };
  if (problems.length > 0) throw new ConfigurationError(`Invalid configuration:\n  ${problems.join('\n  ')}`);
  return settings;
}
