import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { FileHandle, open } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { EntityManager } from 'typeorm';
import { InsufficientStorageError, ServiceUnavailableError } from '../common/domain-errors';
import { PRIVATE_FILE_MODE } from '../common/private-files';
import { sha256 } from '../common/sha256';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { CombinedStatements, Database } from '../database/database.service';
import { auditEntryKey, ChainHead, formatAuditLine, readChainHead, readLastLines, truncateTornLine } from './audit-chain';
import { AuditBatch, AuditEntry, AuditOutbox } from './audit-outbox';

export type { AuditEntry } from './audit-outbox';

/** While the file cannot be written, a retry this often; the outbox rows of written lines go this often too. */
export const AUDIT_RETRY_MS = 1000;

/** What /api/health shows of the audit trail and the disks behind it. */
export interface AuditTrailState {
  /** Why readings are refused now (the operator's words), or undefined while they are accepted. */
  error?: string;
  /** Since when (epoch ms). */
  since?: number;
  /** Readings stored in the database whose lines wait to be written to the file. */
  waitingReadings: number;
  /** When the database last refused a batch for lack of space, until a batch is stored again. */
  databaseFullSince?: number;
}

interface QueuedBatch extends AuditBatch {
  /** The caller waiting for these lines, until they are written or the write failed. */
  settle?: { resolve: () => void; reject: (err: Error) => void };
}

const DISK_FULL_CODES = new Set(['ENOSPC', 'EDQUOT']);

/**
 * The hash-chained audit trail: one line per stored reading (and per command that changes what
 * the readings mean), appended in commit order.
 *
 * Nothing is acknowledged that has no line, whatever happens between the commit and the append:
 * - each batch's entries are written to the audit outbox in the batch's own transaction (stage),
 *   the lines are appended after the commit (append), and the outbox row goes once the file is
 *   synced; at start, rows still there are appended unless the file's tail already has them;
 * - a line cut short by a crash or a full disk is removed at start (and after a failed write)
 *   so the chain goes on from the last complete line;
 * - while the file cannot be written (disk full, I/O error) the trail is "refusing": new
 *   batches are refused up front (507), batches committed meanwhile wait in the outbox and in
 *   memory, and a timer retries until they are all written, then readings are accepted again.
 */
@Injectable()
export class AuditTrailService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('AuditTrail');
  private handle?: FileHandle;
  private head: ChainHead = { seq: 0, hash: '' };
  /** Bytes of complete lines in the file: a failed write is cut back to this. */
  private size = 0;
  /** This trail's name in the outbox (kept next to the file, so that it survives restarts). */
  private trail = '';
  /** Committed batches whose lines are not written yet, in commit order. */
  private readonly backlog: QueuedBatch[] = [];
  /** Outbox rows whose lines are written, to delete once the file is synced. */
  private written: number[] = [];
  private writing?: Promise<void>;
  private failure?: { error: string; since: number };
  private databaseFullSince?: number;
  private timer?: NodeJS.Timeout;
  private ticking = false;
  private stopped = false;
  /** A failed write may have left part of its lines in the file, to cut back to `size`. */
  private cutBack = false;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly db: Database,
    private readonly outbox: AuditOutbox,
  ) {}

  get path(): string {
    return this.config.auditLogPath;
  }

  async onModuleInit(): Promise<void> {
    mkdirSync(dirname(this.path), { recursive: true });
    this.trail = this.readTrailId();
    const removed = await truncateTornLine(this.path);
    if (removed > 0) {
      this.logger.warn(
        `The audit trail at ${this.path} ended with an incomplete line (${removed} bytes: the server stopped or the disk filled while writing it); it was removed and the chain goes on from the last complete line. Readings it named that are still waiting in the database are written again now; npm run audit:verify lists any others`,
      );
    }
    this.head = await readChainHead(this.path);
    this.handle = await open(this.path, 'a', PRIVATE_FILE_MODE);
    this.size = (await this.handle.stat()).size;
    await this.completeFromOutbox();
    this.timer = setInterval(() => void this.tick(), AUDIT_RETRY_MS);
    this.timer.unref();
  }

  /** Refuses a new batch while the audit trail cannot be written. */
  assertAccepting(): void {
    if (this.failure) throw new InsufficientStorageError(this.failure.error);
  }

  /**
   * Inside the transaction that stores what the entries describe: keeps them in the audit outbox,
   * so that they are committed together. Returns what append() needs after the commit. `encoded`:
   * encodeAuditEntries(entries), when the caller worked it out before its transaction; `with`: the
   * caller's other statements, to send the outbox row with them (the promise settles once the caller
   * has sent them, Database.combined).
   */
  async stage(m: EntityManager, entries: AuditEntry[], options: { encoded?: string; with?: CombinedStatements } = {}): Promise<AuditBatch | undefined> {
    if (entries.length === 0) return undefined;
    return { id: await this.outbox.add(m, this.trail, entries, options), entries };
  }

  /**
   * After the commit: appends the batch's lines. Rejects with a 507 error when they cannot be
   * written now; they are then written by the retry timer (or at the next start).
   */
  append(batch: AuditBatch | undefined): Promise<void> {
    if (!batch) return Promise.resolve();
    // Committed after the file was closed (the server is stopping): the next start writes the lines from the outbox.
    if (this.stopped)
      return Promise.reject(
        new ServiceUnavailableError('The server is stopping: the readings are stored and their audit lines are written when it starts again'),
      );
    if (this.failure) {
      this.backlog.push(batch);
      return Promise.reject(new InsufficientStorageError(this.committedButRefused(batch.entries.length)));
    }
    return new Promise<void>((resolve, reject) => {
      this.backlog.push({ ...batch, settle: { resolve, reject } });
      void this.flush();
    });
  }

  /** A command's line (a purge, a reset) in a transaction of its own, then appended. */
  async record(entries: AuditEntry[]): Promise<void> {
    const batch = await this.db.transaction((m) => this.stage(m, entries));
    await this.append(batch);
  }

  /** The database refused a batch for lack of space (shown by /api/health until a batch is stored again). */
  databaseFull(): void {
    this.databaseFullSince ??= Date.now();
  }

  databaseWritten(): void {
    this.databaseFullSince = undefined;
  }

  state(): AuditTrailState {
    return {
      error: this.failure?.error,
      since: this.failure?.since,
      waitingReadings: this.backlog.reduce((n, b) => n + b.entries.length, 0),
      databaseFullSince: this.databaseFullSince,
    };
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    this.stopped = true;
    await this.writing;
    if (!this.failure && this.backlog.length) await this.flush();
    await this.handle?.sync().catch(() => undefined);
    // The outbox rows of the last lines go too, if the database is still open; else the next start finds their lines in the file.
    if (this.db.dataSource.isInitialized) await this.deleteWritten().catch(() => undefined);
    await this.handle?.close();
    this.handle = undefined;
  }

  /** The trail's name, generated next to the file on first start. */
  private readTrailId(): string {
    const file = `${this.path}.id`;
    if (existsSync(file)) return readFileSync(file, 'utf8').trim();
    const id = randomUUID();
    writeFileSync(file, id + '\n', { mode: PRIVATE_FILE_MODE });
    return id;
  }

  /**
   * Start-up: batches committed before the last stop whose lines did not all reach the file are
   * appended now; what the tail of the file already holds (a stop between the append and the
   * outbox delete, or a write cut short) is not written twice.
   */
  private async completeFromOutbox(): Promise<void> {
    const { batches, purged } = await this.outbox.pending(this.trail);
    if (purged > 0)
      this.logger.warn(
        `${purged} reading(s) committed before the last stop are no longer stored (their device was deleted with its readings since): no line is written for them`,
      );
    if (batches.length === 0) return;
    const total = batches.reduce((n, b) => n + b.entries.length, 0);
    // Lines of these batches can only be the file's last ones: every earlier line's row is gone.
    const inFile = new Set<string>();
    for (const line of await readLastLines(this.path, total)) {
      try {
        inFile.add(auditEntryKey(JSON.parse(line)));
      } catch {
        // Not an audit line: it holds none of these entries (npm run audit:verify names it).
      }
    }
    let missing = 0;
    for (const batch of batches) {
      const entries = batch.entries.filter((e) => !inFile.has(auditEntryKey(e)));
      missing += entries.length;
      this.backlog.push({ id: batch.id, entries });
    }
    await this.flush().catch(() => undefined);
    if (missing > 0 && !this.failure) {
      this.logger.warn(`Audit trail completed: ${missing} line(s) of readings committed before the last stop were appended from the database`);
    }
  }

  /** Writes the backlog; one write at a time keeps the chain in commit order. */
  private flush(): Promise<void> {
    this.writing ??= this.writeBacklog().finally(() => {
      this.writing = undefined;
      // A batch that came after the loop saw the backlog empty, before this ran.
      if (this.backlog.length > 0 && !this.failure) void this.flush();
    });
    return this.writing;
  }

  private async writeBacklog(): Promise<void> {
    while (this.backlog.length > 0 && this.handle) {
      const group = this.backlog.slice();
      let head = this.head;
      let text = '';
      for (const batch of group) {
        for (const entry of batch.entries) {
          const line = formatAuditLine({ seq: head.seq + 1, ...entry, prev: head.hash });
          head = { seq: head.seq + 1, hash: sha256(line) };
          text += line + '\n';
        }
      }
      try {
        // What a failed write left behind goes before anything else is written (it could not be cut back then).
        if (this.cutBack) await this.cutBackPartialWrite();
        await this.writeAll(Buffer.from(text));
      } catch (err) {
        await this.writeFailed(err as NodeJS.ErrnoException);
        return;
      }
      this.backlog.splice(0, group.length);
      this.head = head;
      for (const batch of group) {
        this.written.push(batch.id);
        batch.settle?.resolve();
        batch.settle = undefined;
      }
      if (this.failure) this.recovered();
    }
  }

  /** All of it or an error: a write may take only part of the bytes when the disk fills. */
  private async writeAll(buffer: Buffer): Promise<void> {
    const handle = this.handle as FileHandle;
    let offset = 0;
    while (offset < buffer.length) {
      const { bytesWritten } = await handle.write(buffer, offset, buffer.length - offset);
      if (bytesWritten === 0) throw Object.assign(new Error('no space left on device, write'), { code: 'ENOSPC' });
      offset += bytesWritten;
    }
    this.size += buffer.length;
  }

  private async writeFailed(err: NodeJS.ErrnoException): Promise<void> {
    // Whatever part of the lines did reach the file goes again: the chain stays whole.
    this.cutBack = true;
    await this.cutBackPartialWrite().catch(() => undefined);
    const full = DISK_FULL_CODES.has(err.code ?? '');
    const error = full
      ? `The disk holding the audit trail (${this.path}) is full; readings are not accepted until space is freed`
      : `The audit trail (${this.path}) cannot be written (${err.code ?? err.message}); readings are not accepted until it can`;
    if (!this.failure) {
      this.failure = { error, since: Date.now() };
      this.logger.error(
        `${error}. Readings already stored wait in the database and are written as soon as the file takes them (retried every ${AUDIT_RETRY_MS / 1000} s)`,
      );
    }
    // Every caller still waiting is answered now; their lines stay queued for the retry.
    for (const batch of this.backlog) {
      batch.settle?.reject(new InsufficientStorageError(this.committedButRefused(batch.entries.length)));
      batch.settle = undefined;
    }
  }

  private async cutBackPartialWrite(): Promise<void> {
    await this.handle?.truncate(this.size);
    this.cutBack = false;
  }

  private committedButRefused(readings: number): string {
    const reason = (this.failure?.error ?? 'The audit trail cannot be written').replace(/; readings are not accepted.*$/, '');
    return `${reason}: the batch's ${readings} reading(s) are stored and will be written to the audit trail once it can be; until then new readings are refused (a retry of this batch is safe)`;
  }

  private recovered(): void {
    const since = this.failure?.since ?? Date.now();
    this.failure = undefined;
    this.logger.log(
      `The audit trail can be written again after ${Math.round((Date.now() - since) / 1000)} s: the readings that waited are in it, and readings are accepted again`,
    );
  }

  /** Every second: retry while refusing; delete the outbox rows of lines written (after a sync). */
  private async tick(): Promise<void> {
    if (this.ticking) return;
    this.ticking = true;
    try {
      if (this.failure && !this.writing) await this.flush();
      await this.deleteWritten();
    } catch (err) {
      this.logger.debug(`Audit outbox clean-up postponed: ${(err as Error).message}`);
    } finally {
      this.ticking = false;
    }
  }

  private async deleteWritten(): Promise<void> {
    if (this.written.length === 0 || !this.handle) return;
    const ids = this.written;
    this.written = [];
    try {
      // A row goes only once its lines would survive a power cut.
      await this.handle.datasync();
      await this.outbox.remove(ids);
    } catch (err) {
      this.written = ids.concat(this.written);
      throw err;
    }
  }
}
