import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import {
  DEFAULT_SCAN_PROBE,
  FieldBus,
  FieldBusError,
  errorForClientUser,
  describeScanEstimate,
  runLineScan,
  scanWorstCaseMs,
  type ScanProbe,
  type ScanProgressSnapshot,
} from '@pieng/connectors';
import { randomUUID } from 'node:crypto';
import { Observable } from 'rxjs';
import type { ClientScope } from '../common/client-scope';
import { ConflictError, InvalidInputError, NotFoundError } from '../common/domain-errors';
import type { ScanJobResponse, ScanLineDto } from './dto/scan-line.dto';
import { LineAccess } from './line-access';

/** Finished scans are kept this long for GET, then forgotten. */
const KEEP_FINISHED_MS = 60 * 60 * 1000;

interface ScanJob {
  id: string;
  lineKey: string;
  /** Whose job it is: the caller's client, null for platform staff. */
  clientId: number | null;
  status: ScanJobResponse['status'];
  progress: ScanProgressSnapshot;
  estimate: string;
  error?: string;
  finishedAt?: number;
  abort: AbortController;
  listeners: Set<(job: ScanJobResponse, final: boolean) => void>;
}

/**
 * Line scans (POST /api/lines/scan): one job per line at a time, each probe one transaction on the
 * line's queue in FieldBus, so that a poller's reads go on between probes and never collide.
 * Jobs live in this process only (a scan is an installer's session, not plant data).
 */
@Injectable()
export class LineScans implements OnModuleDestroy {
  private readonly logger = new Logger('LineScan');
  private readonly jobs = new Map<string, ScanJob>();

  constructor(
    private readonly bus: FieldBus,
    private readonly access: LineAccess,
  ) {}

  async start(scope: ClientScope, dto: ScanLineDto): Promise<{ jobId: string; estimate: string }> {
    const from = dto.from ?? 1;
    const to = dto.to ?? 247;
    if (to < from) throw InvalidInputError.forFields([{ field: 'to', message: `to must be at least from (${from})` }]);
    const probe: ScanProbe = dto.probe ? { function: dto.probe.function, address: dto.probe.address, count: dto.probe.count } : DEFAULT_SCAN_PROBE;
    const line = await this.access.resolve(scope, dto.connection, from, { timeoutMs: dto.timeoutMs });
    this.prune();
    const running = [...this.jobs.values()].find((j) => j.lineKey === line.lineKey && j.status === 'running');
    if (running) throw new ConflictError('a scan is already running on this line: wait for it or cancel it');
    const config = line.device.config;
    const serial =
      config.transport === 'tcp' ? null : { baudRate: config.baudRate, parity: config.parity, dataBits: config.dataBits, stopBits: config.stopBits };
    const ids = to - from + 1;
    const job: ScanJob = {
      id: randomUUID(),
      lineKey: line.lineKey,
      clientId: scope.clientId,
      status: 'running',
      progress: { scanned: 0, total: ids, found: [], estimatedMsLeft: Math.round(scanWorstCaseMs(ids, config.timeoutMs, serial)) },
      estimate: describeScanEstimate(ids, config.timeoutMs, serial),
      abort: new AbortController(),
      listeners: new Set(),
    };
    this.jobs.set(job.id, job);
    void runLineScan({
      from,
      to,
      worstPerIdMs: scanWorstCaseMs(1, config.timeoutMs, serial),
      signal: job.abort.signal,
      probe: (id) => this.bus.probe(this.access.at(line, id), probe),
      onProgress: (progress) => {
        job.progress = progress;
        this.publish(job, false);
      },
    })
      .then((result) => {
        job.progress = result;
        job.status = result.cancelled ? 'cancelled' : 'done';
      })
      .catch((err: Error) => {
        job.status = 'failed';
        // A client's user gets the words a failed read gives them: nothing that maps the plant network.
        job.error = scope.clientId !== null && err instanceof FieldBusError ? errorForClientUser(err, line.device).message : err.message;
      })
      .finally(() => {
        job.finishedAt = Date.now();
        this.bus.forget(line.device.id);
        this.publish(job, true);
        this.logger.log(`scan ${job.id} of ${line.lineKey} ${job.status}: ${job.progress.found.length} found in ${job.progress.scanned} ids`);
      });
    return { jobId: job.id, estimate: job.estimate };
  }

  get(scope: ClientScope, jobId: string): ScanJobResponse {
    return this.view(this.find(scope, jobId));
  }

  /** Stops a running scan after the probe in progress; a finished one answers as it ended. */
  async cancel(scope: ClientScope, jobId: string): Promise<ScanJobResponse> {
    const job = this.find(scope, jobId);
    if (job.status !== 'running') return this.view(job);
    job.abort.abort();
    await new Promise<void>((resolve) => {
      const listener = (_: ScanJobResponse, final: boolean) => {
        if (!final) return;
        job.listeners.delete(listener);
        resolve();
      };
      job.listeners.add(listener);
    });
    return this.view(job);
  }

  /** The job's progress as server-sent events: one `progress` event now and after each id, the last with the final status. */
  events(scope: ClientScope, jobId: string): Observable<{ type: string; data: ScanJobResponse }> {
    const job = this.find(scope, jobId);
    return new Observable((subscriber) => {
      subscriber.next({ type: 'progress', data: this.view(job) });
      if (job.status !== 'running') {
        subscriber.complete();
        return undefined;
      }
      const listener = (view: ScanJobResponse, final: boolean) => {
        subscriber.next({ type: 'progress', data: view });
        if (final) subscriber.complete();
      };
      job.listeners.add(listener);
      return () => job.listeners.delete(listener);
    });
  }

  onModuleDestroy(): void {
    for (const job of this.jobs.values()) job.abort.abort();
  }

  private find(scope: ClientScope, jobId: string): ScanJob {
    const job = this.jobs.get(jobId);
    // Another client's scan (or staff's) is not found, as its rows would not be.
    if (!job || (scope.clientId !== null && job.clientId !== scope.clientId)) throw new NotFoundError(`scan ${jobId} not found`);
    return job;
  }

  private publish(job: ScanJob, final: boolean): void {
    const view = this.view(job);
    for (const listener of [...job.listeners]) listener(view, final);
  }

  private view(job: ScanJob): ScanJobResponse {
    return {
      jobId: job.id,
      status: job.status,
      scanned: job.progress.scanned,
      total: job.progress.total,
      found: [...job.progress.found].sort((a, b) => a.id - b.id),
      estimatedMsLeft: job.status === 'running' ? job.progress.estimatedMsLeft : 0,
      estimate: job.estimate,
      ...(job.error !== undefined && { error: job.error }),
    };
  }

  private prune(): void {
    const now = Date.now();
    for (const [id, job] of this.jobs) if (job.finishedAt !== undefined && now - job.finishedAt > KEEP_FINISHED_MS) this.jobs.delete(id);
  }
}
