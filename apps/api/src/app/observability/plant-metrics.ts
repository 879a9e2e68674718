import { Injectable, Logger, Optional } from '@nestjs/common';
import { endpointOf, FieldBusError, linkKeyOf, tuyaBaseUrl, type BusDevice } from '@pieng/connectors';
import { DEVICE_STATUSES, type ReadingSource } from '@pieng/shared';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { Database } from '../database/database.service';
import { deviceStatus } from '../devices/device-status';
import { Forwarder } from '../forwarding/forwarder';
import { ForwardingOutbox } from '../forwarding/forwarding-outbox';

/** Seconds; from a fast local request to a slow report or a meter at its timeout. */
const HTTP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const POLL_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30];

/** The driver label of a field device: the Modbus driver (pzem004t, sdm630, generic, ...) or tuya. */
export function driverLabel(device: BusDevice): string {
  return device.deviceType === 'tuya' ? 'tuya' : device.config.driver;
}

/**
 * The line label of a field device: the physical link, never a secret. Modbus: FieldBus's own
 * line key (tcp:host:port, rtu-tcp:host:port, rtu:/dev/ttyUSB0); Tuya: the cloud's host.
 */
export function lineLabel(device: BusDevice): string {
  if (device.deviceType === 'tuya') {
    const base = tuyaBaseUrl(device.config);
    try {
      return `tuya:${new URL(base).host}`;
    } catch {
      return 'tuya';
    }
  }
  return linkKeyOf(endpointOf(device.config));
}

type Req = IncomingMessage & { route?: { path?: unknown }; baseUrl?: string };

/** The route template of a request (/api/devices/:id), never its raw URL, so that ids stay out of the labels. */
export function routeLabel(req: Req, status: number): string {
  const path = req.route?.path;
  if (typeof path === 'string') return `${req.baseUrl ?? ''}${path}`;
  return status === 404 ? 'unmatched' : 'other';
}

/**
 * The plant server's Prometheus metrics, in a registry of its own (one per application,
 * never prom-client's global one: tests run several applications in one process).
 * Services report events (a request, a stored batch, a poll); the gauges of state
 * (devices, forwarding backlog, database size) are read from the database at scrape time.
 */
@Injectable()
export class PlantMetrics {
  private readonly logger = new Logger('Metrics');
  readonly registry = new Registry();

  private readonly httpRequests = new Counter({
    name: 'pieng_http_requests_total',
    help: 'HTTP requests answered, by method, route template and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });
  private readonly httpDuration = new Histogram({
    name: 'pieng_http_request_duration_seconds',
    help: 'HTTP request latency in seconds, by method, route template and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: HTTP_BUCKETS,
    registers: [this.registry],
  });
  private readonly readings = new Counter({
    name: 'pieng_readings_ingested_total',
    help: 'Readings (one device at one instant) stored through the ingest path, by source',
    labelNames: ['source'] as const,
    registers: [this.registry],
  });
  private readonly values = new Counter({
    name: 'pieng_values_stored_total',
    help: 'Metric values newly stored (duplicates not counted), by source',
    labelNames: ['source'] as const,
    registers: [this.registry],
  });
  private readonly polls = new Counter({
    name: 'pieng_polls_total',
    help: 'Meter reads attempted over a field bus (scheduled or on request), by driver',
    labelNames: ['driver'] as const,
    registers: [this.registry],
  });
  private readonly pollErrors = new Counter({
    name: 'pieng_poll_errors_total',
    help: 'Meter reads that failed, by driver and reason (timeout, link-down, corrupt, exception, config, cloud, unsupported, other)',
    labelNames: ['driver', 'reason'] as const,
    registers: [this.registry],
  });
  private readonly pollDuration = new Histogram({
    name: 'pieng_poll_duration_seconds',
    help: 'Duration of a meter read in seconds (queueing on the line included), by line',
    labelNames: ['line'] as const,
    buckets: POLL_BUCKETS,
    registers: [this.registry],
  });

  constructor(
    private readonly db: Database,
    @Optional() private readonly outbox?: ForwardingOutbox,
    @Optional() private readonly forwarder?: Forwarder,
  ) {
    collectDefaultMetrics({ register: this.registry });
    this.scrapeTimeGauges();
  }

  /** A batch committed by IngestService. */
  readingsIngested(source: ReadingSource | string, readings: number, storedValues: number): void {
    this.readings.inc({ source }, readings);
    this.values.inc({ source }, storedValues);
  }

  /** Times one read of a field device and counts it (and its failure) by driver and line. */
  async timePoll<T>(device: BusDevice, read: () => Promise<T>): Promise<T> {
    const driver = driverLabel(device);
    const end = this.pollDuration.startTimer({ line: lineLabel(device) });
    this.polls.inc({ driver });
    try {
      return await read();
    } catch (err) {
      this.pollErrors.inc({ driver, reason: err instanceof FieldBusError ? err.kind : 'other' });
      throw err;
    } finally {
      end();
    }
  }

  /** Express middleware: counts and times every request when its response ends. */
  httpMiddleware() {
    return (req: Req, res: ServerResponse, next: () => void) => {
      const started = process.hrtime.bigint();
      res.once('close', () => {
        const status = res.statusCode;
        const labels = { method: req.method ?? 'OTHER', route: routeLabel(req, status), status: String(status) };
        this.httpRequests.inc(labels);
        this.httpDuration.observe(labels, Number(process.hrtime.bigint() - started) / 1e9);
      });
      next();
    };
  }

  /** The text exposition format, for GET /api/metrics/prometheus. */
  exposition(): Promise<string> {
    return this.registry.metrics();
  }

  /** Gauges whose value is read when Prometheus scrapes: the state lives in the database, not in this process. */
  private scrapeTimeGauges(): void {
    const { db, logger } = this;
    const failed = (what: string) => (err: unknown) =>
      logger.warn(`Could not read ${what} for the metrics: ${err instanceof Error ? err.message : String(err)}`);
    new Gauge({
      name: 'pieng_database_up',
      help: '1 when the database answered the scrape, else 0',
      registers: [this.registry],
      async collect() {
        try {
          await db.query('SELECT 1');
          this.set(1);
        } catch {
          this.set(0);
        }
      },
    });

    new Gauge({
      name: 'pieng_database_size_bytes',
      help: 'Size of the database (SQLite: page_count x page_size; PostgreSQL: pg_database_size)',
      registers: [this.registry],
      async collect() {
        try {
          this.set(await databaseSizeBytes(db));
        } catch (err) {
          this.reset();
          failed('the database size')(err);
        }
      },
    });

    new Gauge({
      name: 'pieng_devices',
      help: 'Devices by status (online, offline, backoff, unknown, inactive), as the console shows them',
      labelNames: ['status'] as const,
      registers: [this.registry],
      async collect() {
        try {
          const counts = await devicesByStatus(db);
          for (const status of DEVICE_STATUSES) this.set({ status }, counts.get(status) ?? 0);
        } catch (err) {
          this.reset();
          failed('the devices')(err);
        }
      },
    });

    const { outbox, forwarder } = this;
    if (!outbox) return;
    new Gauge({
      name: 'pieng_forwarding_outbox_rows',
      help: 'Forwarding backlog: outbox rows waiting to be sent (pending) and dead letters (dead)',
      labelNames: ['state'] as const,
      registers: [this.registry],
      async collect() {
        try {
          const counts = await outbox.counts();
          this.set({ state: 'pending' }, counts.pending);
          this.set({ state: 'dead' }, counts.deadLettered);
        } catch (err) {
          this.reset();
          failed('the forwarding outbox')(err);
        }
      },
    });
    new Gauge({
      name: 'pieng_forwarding_outbox_bytes',
      help: 'Estimated size of the forwarding outbox in bytes (bounded by FORWARDER_MAX_OUTBOX_MB)',
      registers: [this.registry],
      collect() {
        this.set(outbox.estimatedBytes);
      },
    });
    new Gauge({
      name: 'pieng_forwarding_consecutive_failures',
      help: 'Failed forwarding attempts in a row (0 while forwarding works or is off)',
      registers: [this.registry],
      collect() {
        this.set(forwarder?.state.consecutiveFailures ?? 0);
      },
    });
  }
}

/** SQLite: page_count x page_size (the main file); PostgreSQL: pg_database_size(current_database()). */
export async function databaseSizeBytes(db: Database): Promise<number> {
  if (db.kind === 'postgres') {
    const [row] = await db.query<{ size: string | number }>('SELECT pg_database_size(current_database()) AS size');
    return Number(row.size);
  }
  const [count] = await db.query<{ page_count: number }>('PRAGMA page_count');
  const [size] = await db.query<{ page_size: number }>('PRAGMA page_size');
  return Number(count.page_count) * Number(size.page_size);
}

/** How many devices have each status, by the rule of devices/device-status.ts. */
export async function devicesByStatus(db: Database, now = Date.now()): Promise<Map<string, number>> {
  const rows = await db.query<{
    active: boolean | number;
    last_seen_at: string | number | null;
    consecutive_failures: string | number;
    poll_interval_sec: string | number;
  }>('SELECT active, last_seen_at, consecutive_failures, poll_interval_sec FROM devices');
  const counts = new Map<string, number>();
  for (const r of rows) {
    const status = deviceStatus(
      {
        active: r.active === true || Number(r.active) === 1,
        lastSeenAt: r.last_seen_at === null ? null : Number(r.last_seen_at),
        consecutiveFailures: Number(r.consecutive_failures),
        pollIntervalSec: Number(r.poll_interval_sec),
      },
      now,
    );
    counts.set(status, (counts.get(status) ?? 0) + 1);
  }
  return counts;
}
