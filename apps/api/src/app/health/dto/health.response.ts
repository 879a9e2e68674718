import { ApiProperty } from '@nestjs/swagger';

export class DatabaseHealth {
  @ApiProperty({ description: 'sqlite or postgres' }) engine!: string;
  @ApiProperty({ description: 'Whether a trivial query succeeded (within 3 s)' }) ok!: boolean;
  @ApiProperty({ description: 'Round trip of the query, ms' }) latencyMs!: number;
  @ApiProperty({ description: 'The error, when not ok', required: false }) error?: string;
}

export class MigrationsHealth {
  @ApiProperty({ description: 'Whether every schema migration has run' }) ok!: boolean;
  @ApiProperty({ description: 'The error, when they could not be checked or are pending', required: false }) error?: string;
}

export class SchedulerHealth {
  @ApiProperty({
    description:
      'off: polling is switched off (ENABLE_POLLING=false); ok: the poll scheduler ticked recently; stalled: it has not ticked for longer than staleAfterSec',
    enum: ['off', 'ok', 'stalled'],
  })
  status!: 'off' | 'ok' | 'stalled';
  @ApiProperty({ description: 'When the scheduler last looked for due reads (ISO-8601 UTC), or null', type: String, nullable: true }) lastTickAt!:
    | string
    | null;
  @ApiProperty({ description: 'Seconds since that tick, or null', type: Number, nullable: true }) lastTickAgeSec!: number | null;
  @ApiProperty({ description: 'Age of the last tick beyond which the scheduler counts as stalled, seconds' }) staleAfterSec!: number;
}

export class ForwarderHealth {
  @ApiProperty({
    description:
      'off: no FORWARDER_URL or ENABLE_FORWARDING=false; idle: nothing waiting; sending: readings waiting and the last attempt succeeded; failing: the last attempt failed (see lastError); standby: another instance on the same database sends the outbox',
    enum: ['off', 'idle', 'sending', 'failing', 'standby'],
  })
  status!: 'off' | 'idle' | 'sending' | 'failing' | 'standby';
  @ApiProperty({ description: 'Outbox rows waiting to be sent (null when the database does not answer)', type: Number, nullable: true }) pending!:
    | number
    | null;
  @ApiProperty({ description: 'Outbox rows the next instance refused for good (dead letters), or null', type: Number, nullable: true }) deadLettered!:
    | number
    | null;
  @ApiProperty({ description: 'Failed attempts in a row' }) consecutiveFailures!: number;
  @ApiProperty({ description: 'The last failure (any credentials in URLs hidden), or null', type: String, nullable: true }) lastError!: string | null;
  @ApiProperty({ description: 'When it failed (ISO-8601 UTC), or null', type: String, nullable: true }) lastErrorAt!: string | null;
  @ApiProperty({ description: 'When readings last reached the next instance (ISO-8601 UTC), or null', type: String, nullable: true }) lastSuccessAt!:
    | string
    | null;
}

export class MqttHealth {
  @ApiProperty({
    description:
      'off: no MQTT_URL; standby: another instance on the same database holds the mqtt lease and reads the broker; connecting: the first attempt; connected; reconnecting: the broker was lost or refused the connection (see lastError), retried with back-off',
    enum: ['off', 'standby', 'connecting', 'connected', 'reconnecting'],
  })
  status!: 'off' | 'standby' | 'connecting' | 'connected' | 'reconnecting';
  @ApiProperty({ description: 'The broker (MQTT_URL without credentials), or null when off', type: String, nullable: true, example: 'mqtt://127.0.0.1:1883' })
  broker!: string | null;
  @ApiProperty({
    description: 'The client id the persistent session is kept under (MQTT_CLIENT_ID or derived), or null when off',
    type: String,
    nullable: true,
  })
  clientId!: string | null;
  @ApiProperty({ description: 'Active mqtt devices read by this instance' }) devices!: number;
  @ApiProperty({ description: 'Topic filters subscribed to now' }) subscriptions!: number;
  @ApiProperty({
    description:
      'Messages received and not yet acknowledged to the broker: their readings wait for, or are in, the batch being stored (acknowledged once committed)',
  })
  unacknowledged!: number;
  @ApiProperty({ description: 'MQTT_PUBLISH: stored readings waiting to be published (at most 10,000; past it the oldest are dropped)' })
  publishQueued!: number;
  @ApiProperty({ description: 'MQTT_PUBLISH: publications (states and Home Assistant configs) acknowledged by the broker since the start' }) published!: number;
  @ApiProperty({
    description:
      'MQTT_PUBLISH: readings or publications dropped since the start (the queue full while the broker was away or slow, or unacknowledged when the connection closed for good)',
  })
  publishDropped!: number;
  @ApiProperty({ description: 'The last connection error (any credentials in URLs hidden), or null', type: String, nullable: true }) lastError!: string | null;
  @ApiProperty({ description: 'When it happened (ISO-8601 UTC), or null', type: String, nullable: true }) lastErrorAt!: string | null;
  @ApiProperty({ description: 'Since when the connection is up (ISO-8601 UTC), or null', type: String, nullable: true }) connectedAt!: string | null;
}

export class AuditHealth {
  @ApiProperty({
    description:
      'ok: readings are stored and audited; refusing: the audit trail cannot be written (disk full or I/O error), so new readings are answered 507 until it can (see error); it recovers by itself once space is freed',
    enum: ['ok', 'refusing'],
  })
  status!: 'ok' | 'refusing';
  @ApiProperty({ description: 'Why readings are refused, or null', type: String, nullable: true }) error!: string | null;
  @ApiProperty({ description: 'Since when (ISO-8601 UTC), or null', type: String, nullable: true }) since!: string | null;
  @ApiProperty({ description: 'Readings stored in the database whose audit lines wait to be written' }) waitingReadings!: number;
  @ApiProperty({
    description: 'When the database last refused a batch because its disk is full (ISO-8601 UTC), null once a batch is stored again',
    type: String,
    nullable: true,
  })
  databaseFullSince!: string | null;
}

export class HealthResponse {
  @ApiProperty({ description: 'ok when every check passes; degraded otherwise (failing names the checks)', enum: ['ok', 'degraded'] }) status!:
    | 'ok'
    | 'degraded';
  @ApiProperty({ description: 'Names of the checks that fail: database, migrations, scheduler, forwarder, audit, storage, mqtt', type: [String] })
  failing!: string[];
  @ApiProperty({ description: 'Instance name (APP_NAME)' }) name!: string;
  @ApiProperty({ description: 'Seconds since start' }) uptimeSec!: number;
  @ApiProperty({ description: 'Server time (ISO-8601 UTC)' }) time!: string;
  @ApiProperty({ description: 'The database answers', type: DatabaseHealth }) database!: DatabaseHealth;
  @ApiProperty({ description: 'The schema is up to date', type: MigrationsHealth }) migrations!: MigrationsHealth;
  @ApiProperty({ description: 'The meter poll scheduler', type: SchedulerHealth }) scheduler!: SchedulerHealth;
  @ApiProperty({ description: 'Forwarding to the next instance', type: ForwarderHealth }) forwarder!: ForwarderHealth;
  @ApiProperty({ description: 'The audit trail and the disks behind it', type: AuditHealth }) audit!: AuditHealth;
  @ApiProperty({ description: 'The MQTT broker the meters publish to', type: MqttHealth }) mqtt!: MqttHealth;
}

export class LivenessResponse {
  @ApiProperty({ description: 'Always ok: an answer means the process and its event loop are alive', enum: ['ok'] }) status!: 'ok';
  @ApiProperty({ description: 'Seconds since start' }) uptimeSec!: number;
}

export class ReadinessResponse {
  @ApiProperty({
    description: 'ready (HTTP 200) when the database answers and every migration has run; unavailable (HTTP 503) otherwise',
    enum: ['ready', 'unavailable'],
  })
  status!: 'ready' | 'unavailable';
  @ApiProperty({ description: 'Names of the checks that fail: database, migrations', type: [String] }) failing!: string[];
  @ApiProperty({ description: 'The database answers', type: DatabaseHealth }) database!: DatabaseHealth;
  @ApiProperty({ description: 'The schema is up to date', type: MigrationsHealth }) migrations!: MigrationsHealth;
}
