import { Inject, Injectable, Optional } from '@nestjs/common';
import { AuditTrailService } from '../audit/audit-trail.service';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { Database } from '../database/database.service';
import { Forwarder } from '../forwarding/forwarder';
import { ForwardingOutbox } from '../forwarding/forwarding-outbox';
import { MqttService } from '../mqtt/mqtt.service';
import { PollingService } from '../polling/polling.service';
import {
  AuditHealth,
  DatabaseHealth,
  ForwarderHealth,
  HealthResponse,
  MigrationsHealth,
  MqttHealth,
  ReadinessResponse,
  SchedulerHealth,
} from './dto/health.response';

/** A check that takes longer counts as failed: a monitor must get an answer. */
export const CHECK_TIMEOUT_MS = 3000;
/** The scheduler ticks every 250 ms; a tick older than this means it has stopped. */
export const SCHEDULER_STALE_AFTER_SEC = 15;

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
const message = (err: unknown) => (err instanceof Error ? err.message : String(err));
/** user:password@ in URLs (a forwarding target, a database URL in an error) becomes user:***@. */
export const hideUrlCredentials = (text: string) => text.replace(/\/\/([^:@/\s]+):[^@/\s]*@/g, '//$1:***@');

function withTimeout<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** The checks behind /api/health, /api/health/live and /api/health/ready. */
@Injectable()
export class HealthService {
  /** Migrations that have all run stay run: checked until then, remembered after. */
  private migrationsDone = false;

  constructor(
    private readonly db: Database,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly auditTrail: AuditTrailService,
    @Optional() private readonly polling?: PollingService,
    @Optional() private readonly outbox?: ForwardingOutbox,
    @Optional() private readonly forwarderService?: Forwarder,
    @Optional() private readonly mqttService?: MqttService,
  ) {}

  async health(): Promise<HealthResponse> {
    const [database, migrations, forwarder] = await Promise.all([this.database(), this.migrations(), this.forwarder()]);
    const scheduler = this.scheduler();
    const audit = this.audit();
    const mqtt = this.mqtt();
    const failing = [
      ...(database.ok ? [] : ['database']),
      ...(migrations.ok ? [] : ['migrations']),
      ...(scheduler.status === 'stalled' ? ['scheduler'] : []),
      ...(forwarder.status === 'failing' ? ['forwarder'] : []),
      ...(audit.status === 'refusing' ? ['audit'] : []),
      ...(audit.databaseFullSince !== null ? ['storage'] : []),
      ...(mqtt.status === 'reconnecting' ? ['mqtt'] : []),
    ];
    return {
      status: failing.length ? 'degraded' : 'ok',
      failing,
      name: this.config.appName,
      uptimeSec: Math.round(process.uptime()),
      time: new Date().toISOString(),
      database,
      migrations,
      scheduler,
      forwarder,
      audit,
      mqtt,
    };
  }

  mqtt(): MqttHealth {
    const s = this.mqttService?.connectionState();
    if (!s)
      return {
        status: 'off',
        broker: null,
        clientId: null,
        devices: 0,
        subscriptions: 0,
        unacknowledged: 0,
        publishQueued: 0,
        published: 0,
        publishDropped: 0,
        lastError: null,
        lastErrorAt: null,
        connectedAt: null,
      };
    return {
      status: s.status,
      broker: s.broker,
      clientId: s.clientId,
      devices: s.devices,
      subscriptions: s.subscriptions,
      unacknowledged: s.unacknowledged,
      publishQueued: s.publishQueued,
      published: s.published,
      publishDropped: s.publishDropped,
      lastError: s.lastError === null ? null : hideUrlCredentials(s.lastError),
      lastErrorAt: iso(s.lastErrorAt),
      connectedAt: iso(s.connectedAt),
    };
  }

  audit(): AuditHealth {
    const state = this.auditTrail.state();
    return {
      status: state.error ? 'refusing' : 'ok',
      error: state.error ?? null,
      since: iso(state.since ?? null),
      waitingReadings: state.waitingReadings,
      databaseFullSince: iso(state.databaseFullSince ?? null),
    };
  }

  async readiness(): Promise<ReadinessResponse> {
    const [database, migrations] = await Promise.all([this.database(), this.migrations()]);
    const failing = [...(database.ok ? [] : ['database']), ...(migrations.ok ? [] : ['migrations'])];
    return { status: failing.length ? 'unavailable' : 'ready', failing, database, migrations };
  }

  async database(): Promise<DatabaseHealth> {
    const started = performance.now();
    const latencyMs = () => +(performance.now() - started).toFixed(2);
    try {
      await withTimeout(this.db.query('SELECT 1'), 'the database');
      return { engine: this.db.kind, ok: true, latencyMs: latencyMs() };
    } catch (err) {
      return { engine: this.db.kind, ok: false, latencyMs: latencyMs(), error: hideUrlCredentials(message(err)) };
    }
  }

  async migrations(): Promise<MigrationsHealth> {
    if (this.migrationsDone) return { ok: true };
    try {
      const pending = await withTimeout(this.db.dataSource.showMigrations(), 'the migrations table');
      if (pending) return { ok: false, error: 'schema migrations are pending' };
      this.migrationsDone = true;
      return { ok: true };
    } catch (err) {
      return { ok: false, error: hideUrlCredentials(message(err)) };
    }
  }

  scheduler(now = Date.now()): SchedulerHealth {
    const lastTickAt = this.polling?.lastTickAt ?? null;
    const lastTickAgeSec = lastTickAt === null ? null : Math.max(0, (now - lastTickAt) / 1000);
    const base = { lastTickAt: iso(lastTickAt), lastTickAgeSec, staleAfterSec: SCHEDULER_STALE_AFTER_SEC };
    if (!this.config.enablePolling) return { status: 'off', ...base };
    // Before the first tick (the application is still starting) the uptime stands in for the tick's age.
    const age = lastTickAgeSec ?? process.uptime();
    return { status: age <= SCHEDULER_STALE_AFTER_SEC ? 'ok' : 'stalled', ...base };
  }

  async forwarder(): Promise<ForwarderHealth> {
    const f = this.forwarderService;
    const state = f?.state;
    let pending: number | null = null;
    let deadLettered: number | null = null;
    try {
      if (this.outbox) {
        const counts = await withTimeout(this.outbox.counts(), 'the forwarding outbox');
        pending = counts.pending;
        deadLettered = counts.deadLettered;
      }
    } catch {
      // The database check names the problem; the counts stay unknown.
    }
    const failures = state?.consecutiveFailures ?? 0;
    const status: ForwarderHealth['status'] =
      !f || f.target === undefined ? 'off' : failures > 0 ? 'failing' : !f.holdsLease ? 'standby' : pending ? 'sending' : 'idle';
    return {
      status,
      pending,
      deadLettered,
      consecutiveFailures: failures,
      lastError: state?.lastError ? hideUrlCredentials(state.lastError) : null,
      lastErrorAt: iso(state?.lastErrorAt ?? null),
      lastSuccessAt: iso(state?.lastSuccessAt ?? null),
    };
  }
}
