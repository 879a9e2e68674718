import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown, Optional } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { CronJob } from 'cron';
import type { EntityManager } from 'typeorm';
import type { AuditBatch } from '../audit/audit-outbox';
import { ValueChecksum } from '../audit/audit-database-check';
import { AuditEntry, AuditTrailService } from '../audit/audit-trail.service';
import type { DeletedValues } from '../audit/audit-chain';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { DAY_MS } from '../common/time-zones';
import { Database } from '../database/database.service';
import { MeasurementPartitions, MonthPartition, monthOf } from './measurement-partitions';
import { ClientRetentionRow, holdBackForForwarding, RESOLUTIONS, Resolution, retentionCut, retentionDaysFor, startOfUtcDay } from './retention-policy';
import { measureStorage, StorageFigures } from './storage-figures';

/** Rows per deletion transaction: small enough that ingest (SQLite's single writer) waits only milliseconds behind one. */
export const RETENTION_BATCH_ROWS = 4000;
/** Pages given back per transaction by PRAGMA incremental_vacuum (4 KB each: 4 MB, tens of milliseconds of the writer). */
const VACUUM_PAGES_PER_STEP = 1000;
/**
 * Rows read per statement while a partition's account is taken: parsing and hashing them holds the
 * event loop, so pages stay small and requests get their turn between them.
 */
const PARTITION_READ_PAGE = 2000;
/** pg_try_advisory_lock key: one instance runs the retention job at a time. */
const RUN_LOCK = 0x5049_4552; // "PIER"
export const RETENTION_JOB = 'retention';

/** The time the job goes by; tests give it another. */
@Injectable()
export class RetentionClock {
  now(): number {
    return Date.now();
  }
}

export interface RetentionRunReport {
  /** The instant the run went by (epoch ms), and when it finished by the same clock. */
  startedAt: number;
  finishedAt: number;
  /** Rows deleted per resolution (raw includes the rows of partitions dropped). */
  deleted: Record<Resolution, number>;
  partitionsCreated: string[];
  partitionsDropped: string[];
  /** Devices whose raw readings were kept past their retention because the slave has not confirmed them yet. */
  heldBackDevices: number[];
  storage: StorageFigures[];
  /** Set when another instance was running the job: this one did nothing. */
  skipped?: string;
}

interface DeviceRow {
  id: number;
  uid: string;
  clientId: number;
}

/**
 * The daily retention job: deletes raw readings and rollups past their retention (the platform's,
 * or the client's own), a day at a time and a few thousand rows per transaction, so that ingest
 * keeps flowing between the batches; never readings the forwarder has not delivered yet; one
 * audit line per deletion (what went, with its count and checksum) so that audit-verify still
 * accounts for every value ever stored. On PostgreSQL a month whose every row is past everyone's
 * retention goes as a whole partition. Then it records what each resolution holds for the
 * status route.
 */
@Injectable()
export class RetentionService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Retention');
  private readonly partitions: MeasurementPartitions;
  private running?: Promise<RetentionRunReport>;
  private job?: CronJob;
  private warnedNotIncremental = false;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly db: Database,
    private readonly audit: AuditTrailService,
    private readonly clock: RetentionClock,
    @Optional() private readonly registry?: SchedulerRegistry,
  ) {
    this.partitions = new MeasurementPartitions(db);
  }

  async onApplicationBootstrap(): Promise<void> {
    // The months ahead are ready before the first reading of a new month, even after a long stop.
    if (this.db.kind === 'postgres') {
      await this.partitions
        .ensureAhead(this.clock.now())
        .catch((err) => this.logger.error(`Monthly partitions of measurements could not be created: ${(err as Error).message}`));
    }
    this.job = CronJob.from({
      cronTime: `0 0 ${this.config.retention.hour} * * *`,
      timeZone: this.config.schedulerTimezone,
      onTick: () => void this.run().catch((err) => this.logger.error(`Retention job failed: ${err instanceof Error ? err.message : String(err)}`)),
      start: true,
    });
    this.registry?.addCronJob(RETENTION_JOB, this.job as never);
  }

  onApplicationShutdown(): void {
    this.job?.stop();
    if (this.registry?.doesExist('cron', RETENTION_JOB)) this.registry.deleteCronJob(RETENTION_JOB);
  }

  /** Runs the job now (as the daily schedule does); a run already going is joined, not doubled. */
  run(now = this.clock.now()): Promise<RetentionRunReport> {
    this.running ??= this.runExclusively(now).finally(() => (this.running = undefined));
    return this.running;
  }

  private async runExclusively(now: number): Promise<RetentionRunReport> {
    if (this.db.kind === 'sqlite') return this.runOnce(now);
    // Instances sharing a PostgreSQL database: the first to start the job runs it, the others skip.
    const runner = this.db.dataSource.createQueryRunner();
    await runner.connect();
    try {
      const [{ ok }] = await runner.query('SELECT pg_try_advisory_lock($1) AS ok', [RUN_LOCK]);
      if (!ok) {
        const deleted = { raw: 0, '1m': 0, '15m': 0, '1h': 0 };
        return {
          startedAt: now,
          finishedAt: now,
          deleted,
          partitionsCreated: [],
          partitionsDropped: [],
          heldBackDevices: [],
          storage: [],
          skipped: 'another instance is running the retention job',
        };
      }
      try {
        return await this.runOnce(now);
      } finally {
        await runner.query('SELECT pg_advisory_unlock($1)', [RUN_LOCK]);
      }
    } finally {
      await runner.release();
    }
  }

  private async runOnce(now: number): Promise<RetentionRunReport> {
    const started = Date.now();
    const clients = new Map(
      (await this.db.query<ClientRetentionRow>('SELECT id, retention_raw_days, retention_1m_days, retention_15m_days, retention_1h_days FROM clients')).map(
        (c) => [Number(c.id), c],
      ),
    );
    const devices = (
      await this.db.query<{ id: number | string; uid: string; client_id: number | string }>('SELECT id, uid, client_id FROM devices ORDER BY id')
    ).map((d): DeviceRow => ({ id: Number(d.id), uid: d.uid, clientId: Number(d.client_id) }));
    const report: RetentionRunReport = {
      startedAt: now,
      finishedAt: now,
      deleted: { raw: 0, '1m': 0, '15m': 0, '1h': 0 },
      partitionsCreated: [],
      partitionsDropped: [],
      heldBackDevices: [],
      storage: [],
    };

    // Raw readings: each device's cut, moved back to the day of its oldest reading the slave has not confirmed.
    const rawCuts = new Map<number, number | null>();
    for (const device of devices) {
      const cut = retentionCut(now, retentionDaysFor('raw', this.config.retention.days, clients.get(device.clientId)));
      if (cut === null) {
        rawCuts.set(device.id, null);
        continue;
      }
      const held = holdBackForForwarding(cut, await this.oldestUnconfirmed(device.id));
      if (held < cut) report.heldBackDevices.push(device.id);
      rawCuts.set(device.id, held);
    }

    if (this.db.kind === 'postgres') {
      report.partitionsCreated = await this.partitions.ensureAhead(now);
      const dropped = await this.dropExpiredPartitions(devices, rawCuts, now);
      report.partitionsDropped = dropped.names;
      report.deleted.raw += dropped.rows;
    }
    for (const device of devices) {
      const cut = rawCuts.get(device.id);
      if (cut !== null && cut !== undefined) report.deleted.raw += await this.deleteRawReadings(device, cut, now);
    }

    for (const r of RESOLUTIONS) {
      if (r.bucketMs === null) continue;
      for (const device of devices) {
        const cut = retentionCut(now, retentionDaysFor(r.resolution, this.config.retention.days, clients.get(device.clientId)));
        if (cut !== null) report.deleted[r.resolution] += await this.deleteRollups(device.id, r.bucketMs, cut);
      }
    }

    if (this.db.kind === 'sqlite') await this.releaseFreePages();
    report.storage = await measureStorage(this.db);
    report.finishedAt = now + (Date.now() - started);
    await this.recordStatus(report);
    const total = Object.values(report.deleted).reduce((a, b) => a + b, 0);
    this.logger.log(
      `Retention: ${total} row(s) deleted (raw ${report.deleted.raw}, 1-minute ${report.deleted['1m']}, 15-minute ${report.deleted['15m']}, 1-hour ${report.deleted['1h']})` +
        (report.partitionsDropped.length ? `; partitions dropped: ${report.partitionsDropped.join(', ')}` : '') +
        (report.heldBackDevices.length ? `; ${report.heldBackDevices.length} device(s) keep older readings until the slave confirms them` : '') +
        ` in ${Date.now() - started} ms`,
    );
    return report;
  }

  /** The instant of the device's oldest reading the forwarder has not delivered (outbox, dead letters, or overflow range), or null. */
  private async oldestUnconfirmed(deviceId: number): Promise<number | null> {
    const [outbox] = await this.db.query<{ t: number | string | null }>('SELECT MIN(ts) AS t FROM forward_outbox WHERE device_id = ?', [deviceId]);
    const [overflow] = await this.db.query<{ t: number | string | null }>('SELECT ts_min AS t FROM forward_overflow WHERE device_id = ?', [deviceId]);
    const instants = [outbox?.t, overflow?.t].filter((t) => t !== null && t !== undefined).map(Number);
    return instants.length ? Math.min(...instants) : null;
  }

  /** The metrics a device has rows of in the table, by one index seek each. */
  private async metricsOf(table: 'measurements' | 'rollups', deviceId: number): Promise<string[]> {
    const metrics: string[] = [];
    for (let after = ''; ; ) {
      const [row] = await this.db.query<{ m: string | null }>(`SELECT MIN(metric) AS m FROM ${table} WHERE device_id = ? AND metric > ?`, [deviceId, after]);
      if (row?.m === null || row?.m === undefined) return metrics;
      metrics.push(row.m);
      after = row.m;
    }
  }

  /** The device's oldest reading at or after `from` among the metrics, or null. */
  private async oldestReading(deviceId: number, metrics: string[], from: number): Promise<number | null> {
    let oldest: number | null = null;
    for (const metric of metrics) {
      const [row] = await this.db.query<{ t: number | string | null }>('SELECT MIN(ts) AS t FROM measurements WHERE device_id = ? AND metric = ? AND ts >= ?', [
        deviceId,
        metric,
        from,
      ]);
      if (row?.t !== null && row?.t !== undefined && (oldest === null || Number(row.t) < oldest)) oldest = Number(row.t);
    }
    return oldest;
  }

  /**
   * Deletes the device's raw readings before `cut`, oldest first. Each batch is a key range per
   * metric (device, metric, from <= ts < to) within one UTC day, of at most RETENTION_BATCH_ROWS
   * rows, deleted in a transaction of its own with its audit line.
   */
  private async deleteRawReadings(device: DeviceRow, cut: number, now: number): Promise<number> {
    const metrics = await this.metricsOf('measurements', device.id);
    if (metrics.length === 0) return 0;
    const perMetric = Math.max(1, Math.floor(RETENTION_BATCH_ROWS / metrics.length));
    let deleted = 0;
    for (let from = await this.oldestReading(device.id, metrics, Number.MIN_SAFE_INTEGER); from !== null && from < cut; ) {
      // The batch ends at the next midnight, the cut, or where any metric has perMetric rows behind it.
      let to = Math.min(cut, startOfUtcDay(from) + DAY_MS);
      for (const metric of metrics) {
        const [row] = await this.db.query<{ ts: number | string }>(
          'SELECT ts FROM measurements WHERE device_id = ? AND metric = ? AND ts >= ? AND ts < ? ORDER BY ts LIMIT 1 OFFSET ?',
          [device.id, metric, from, to, perMetric],
        );
        if (row) to = Math.min(to, Number(row.ts));
      }
      deleted += await this.deleteRawBatch(device, metrics, from, to, now);
      from = await this.oldestReading(device.id, metrics, to);
    }
    return deleted;
  }

  private async deleteRawBatch(device: DeviceRow, metrics: string[], from: number, to: number, now: number): Promise<number> {
    // Refused up front while the audit trail cannot be written: a deletion without its line would look like tampering.
    this.audit.assertAccepting();
    const outcome = await this.db.transaction(async (m) => {
      // The forwarding guard is repeated in the statement: a late reading queued since the cut was chosen stays too.
      const rows = await this.db.deleteReturning<{ metric: string; ts: number | string; value: number | string }>(
        `DELETE FROM measurements WHERE device_id = ? AND metric IN (${metrics.map(() => '?').join(', ')}) AND ts >= ? AND ts < ?
          AND ts < COALESCE((SELECT MIN(ts) FROM forward_outbox WHERE device_id = ?), ?)
          AND ts < COALESCE((SELECT ts_min FROM forward_overflow WHERE device_id = ?), ?)
          RETURNING metric, ts, value`,
        [device.id, ...metrics, from, to, device.id, to, device.id, to],
        m,
      );
      if (rows.length === 0) return undefined;
      const tally = new DeletionTally();
      for (const row of rows) tally.add(row);
      return { count: rows.length, batch: await this.audit.stage(m, [tally.entry(device, 'retention', now)]) };
    });
    if (!outcome) return 0;
    await this.audit.append(outcome.batch);
    return outcome.count;
  }

  /**
   * PostgreSQL: the month partitions whose every row is past every device's raw cut (its client's
   * retention and what the forwarder still needs) are dropped whole, after the account of what
   * they held is staged in the audit trail in the same transaction. The current month never goes.
   */
  private async dropExpiredPartitions(devices: DeviceRow[], rawCuts: Map<number, number | null>, now: number): Promise<{ names: string[]; rows: number }> {
    const cuts = devices.map((d) => rawCuts.get(d.id));
    if (cuts.some((c) => c === null)) return { names: [], rows: 0 };
    const platformCut = retentionCut(now, this.config.retention.days.raw);
    const everyoneCut = Math.min(...(cuts as number[]), ...(devices.length === 0 && platformCut !== null ? [platformCut] : []));
    if (!Number.isFinite(everyoneCut)) return { names: [], rows: 0 };
    const uids = new Map(devices.map((d) => [d.id, d.uid]));
    const dropped: string[] = [];
    let rows = 0;
    for (const partition of await this.partitions.list()) {
      if (partition.to > everyoneCut || partition.to > monthOf(now)) continue;
      this.audit.assertAccepting();
      const { batch, count } = await this.partitions.drop(partition, (m) => this.accountForPartition(m, partition, uids, now));
      await this.audit.append(batch);
      dropped.push(partition.name);
      rows += count;
    }
    return { names: dropped, rows };
  }

  /** Reads a partition's rows in key order and stages one audit line per device and UTC day of them. */
  private async accountForPartition(
    m: EntityManager,
    partition: MonthPartition,
    uids: Map<number, string>,
    now: number,
  ): Promise<{ batch: AuditBatch | undefined; count: number }> {
    const entries: AuditEntry[] = [];
    let count = 0;
    // Key order visits a device's days once per metric: its days are tallied together, then written oldest first.
    let device: number | undefined;
    let days = new Map<number, DeletionTally>();
    const closeDevice = () => {
      for (const day of [...days.keys()].sort((a, b) => a - b))
        entries.push((days.get(day) as DeletionTally).entry({ id: device as number, uid: uids.get(device as number) ?? '' }, 'partition-dropped', now));
      days = new Map();
    };
    for (let after: [number, string, number] | undefined; ; ) {
      const page: Array<{ device_id: number | string } & DeletedRow> = await m.query(
        `SELECT device_id, metric, ts, value FROM ${partition.name} ${after ? 'WHERE (device_id, metric, ts) > ($1, $2, $3) ' : ''}ORDER BY device_id, metric, ts LIMIT ${PARTITION_READ_PAGE}`,
        after ?? [],
      );
      for (const r of page) {
        const id = Number(r.device_id);
        if (id !== device) {
          if (device !== undefined) closeDevice();
          device = id;
        }
        const day = startOfUtcDay(Number(r.ts));
        let tally = days.get(day);
        if (!tally) days.set(day, (tally = new DeletionTally()));
        tally.add(r);
        count++;
      }
      if (page.length < PARTITION_READ_PAGE) break;
      const last = page[page.length - 1];
      after = [Number(last.device_id), last.metric, Number(last.ts)];
      await new Promise((resolve) => setImmediate(resolve));
    }
    if (device !== undefined) closeDevice();
    return { batch: await this.audit.stage(m, entries), count };
  }

  /** Deletes a device's rollups of one resolution before `cut`, per metric, RETENTION_BATCH_ROWS buckets per transaction. */
  private async deleteRollups(deviceId: number, bucketMs: number, cut: number): Promise<number> {
    let deleted = 0;
    for (const metric of await this.metricsOf('rollups', deviceId)) {
      const oldest = async (from: number) => {
        const [row] = await this.db.query<{ b: number | string | null }>(
          'SELECT MIN(bucket) AS b FROM rollups WHERE device_id = ? AND metric = ? AND bucket_ms = ? AND bucket >= ?',
          [deviceId, metric, bucketMs, from],
        );
        return row?.b === null || row?.b === undefined ? null : Number(row.b);
      };
      for (let from = await oldest(Number.MIN_SAFE_INTEGER); from !== null && from < cut; ) {
        const to = Math.min(cut, from + RETENTION_BATCH_ROWS * bucketMs);
        deleted += await this.db.transaction((m) =>
          this.db.execute(
            'DELETE FROM rollups WHERE device_id = ? AND metric = ? AND bucket_ms = ? AND bucket >= ? AND bucket < ?',
            [deviceId, metric, bucketMs, from, to],
            m,
          ),
        );
        from = await oldest(to);
      }
    }
    return deleted;
  }

  /**
   * SQLite: gives the pages the deletions freed back to the file system, a few thousand per
   * transaction (PRAGMA incremental_vacuum), so that the file shrinks instead of only keeping them
   * for reuse. Only a database created with auto_vacuum = INCREMENTAL can (see the README).
   */
  private async releaseFreePages(): Promise<void> {
    const [{ auto_vacuum: mode }] = await this.db.query<{ auto_vacuum: number }>('PRAGMA auto_vacuum');
    if (Number(mode) !== 2) {
      if (!this.warnedNotIncremental) {
        this.logger.warn(
          'The SQLite database was created without incremental auto-vacuum: space freed by retention is reused but the file does not shrink (a one-off VACUUM converts it; see "Resolutions and retention" in the README)',
        );
        this.warnedNotIncremental = true;
      }
      return;
    }
    for (let step = 0; step < 100_000; step++) {
      const [{ freelist_count: free }] = await this.db.query<{ freelist_count: number }>('PRAGMA freelist_count');
      if (Number(free) === 0) return;
      // query(), not execute(): the pragma frees one page per step of its statement, and only all() steps it to the end.
      await this.db.transaction((m) => this.db.query(`PRAGMA incremental_vacuum(${VACUUM_PAGES_PER_STEP})`, [], m));
    }
  }

  private async recordStatus(report: RetentionRunReport): Promise<void> {
    await this.db.transaction(async (m) => {
      for (const figures of report.storage) {
        await m.query(
          this.db
            .sql(`INSERT INTO retention_status (resolution, stored_rows, stored_bytes, bytes_measured_by, deleted_rows, partitions_dropped, run_started_at, run_finished_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (resolution) DO UPDATE SET stored_rows = excluded.stored_rows, stored_bytes = excluded.stored_bytes, bytes_measured_by = excluded.bytes_measured_by,
              deleted_rows = excluded.deleted_rows, partitions_dropped = excluded.partitions_dropped, run_started_at = excluded.run_started_at, run_finished_at = excluded.run_finished_at`),
          [
            figures.resolution,
            figures.rows,
            figures.bytes,
            figures.measuredBy,
            report.deleted[figures.resolution],
            figures.resolution === 'raw' ? report.partitionsDropped.length : 0,
            report.startedAt,
            report.finishedAt,
          ],
        );
      }
    });
  }
}

interface DeletedRow {
  metric: string;
  ts: number | string;
  value: number | string;
}

/** What one deletion took away, for its audit line: metrics, first and last instant, count and checksum of the values. */
class DeletionTally {
  private readonly checksum = new ValueChecksum();
  private readonly metrics = new Set<string>();
  private first = Infinity;
  private last = -Infinity;

  add(row: DeletedRow): void {
    const ts = Number(row.ts);
    this.checksum.add(row.metric, ts, Number(row.value));
    this.metrics.add(row.metric);
    if (ts < this.first) this.first = ts;
    if (ts > this.last) this.last = ts;
  }

  entry(device: { id: number; uid: string }, reason: DeletedValues['reason'], now: number): AuditEntry {
    const tally = this.checksum.tally();
    return {
      ts: new Date(now).toISOString(),
      deviceId: device.id,
      deviceUid: device.uid,
      source: 'retention',
      metrics: {},
      event: 'retention-deleted',
      actor: 'retention job',
      deleted: {
        reason,
        metrics: [...this.metrics].sort(),
        from: new Date(this.first).toISOString(),
        to: new Date(this.last).toISOString(),
        count: tally.count,
        checksum: tally.checksum,
      },
    };
  }
}
