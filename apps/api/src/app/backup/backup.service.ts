import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown, Optional } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { CronJob } from 'cron';
import { existsSync, readdirSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { Database } from '../database/database.service';
import { backupSqlite, BackupError, PG_DUMP_MESSAGE } from './sqlite-backup';

/** Scheduled backups are named pieng-YYYYMMDD-HHMMSS.db (UTC); retention touches no other file. */
export const BACKUP_FILE_PATTERN = /^pieng-(\d{4})(\d{2})(\d{2})-(\d{2})(\d{2})(\d{2})\.db$/;
export const BACKUP_JOB = 'sqlite-backup';

const pad = (n: number) => String(n).padStart(2, '0');
export function backupFileName(at: Date): string {
  return `pieng-${at.getUTCFullYear()}${pad(at.getUTCMonth() + 1)}${pad(at.getUTCDate())}-${pad(at.getUTCHours())}${pad(at.getUTCMinutes())}${pad(at.getUTCSeconds())}.db`;
}

/** How the last scheduled backup went (the `backupFailed` platform alarm reads it). */
export interface ScheduledBackupOutcome {
  at: number;
  ok: boolean;
  file: string | null;
  error: string | null;
}

/**
 * Online backups of the SQLite database: on demand, and daily at BACKUP_HOUR with retention. How
 * each scheduled one went is kept in `backup_status` (row `scheduled`), so that a failure outlives a restart.
 */
@Injectable()
export class BackupService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(BackupService.name);
  private job?: CronJob;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Optional() private readonly registry?: SchedulerRegistry,
    @Optional() private readonly db?: Database,
  ) {}

  /** A consistent copy of the running database in `file`; refuses to overwrite. */
  async backupTo(file: string): Promise<{ path: string; bytes: number }> {
    if (this.config.database.type !== 'sqlite') throw new BackupError(PG_DUMP_MESSAGE);
    return backupSqlite(this.config.database.path, file);
  }

  /** The daily job: a new backup in BACKUP_DIR, then retention. */
  async runScheduledBackup(now = new Date()): Promise<{ path: string; bytes: number; deleted: string[] }> {
    let result: { path: string; bytes: number };
    try {
      result = await this.backupTo(join(this.config.backup.dir, backupFileName(now)));
    } catch (err) {
      await this.record({ at: now.getTime(), ok: false, file: null, error: err instanceof Error ? err.message : String(err) });
      throw err;
    }
    await this.record({ at: now.getTime(), ok: true, file: result.path, error: null });
    const deleted = this.prune(now);
    this.logger.log(`Backup written: ${result.path} (${result.bytes} bytes)${deleted.length ? `; ${deleted.length} old backup(s) deleted` : ''}`);
    return { ...result, deleted };
  }

  /** The last scheduled backup's outcome, or null when none has run (or there is no database to keep it in). */
  async lastScheduled(): Promise<ScheduledBackupOutcome | null> {
    if (!this.db) return null;
    const [row] = await this.db.query<{ at: number | string; ok: boolean | number; file: string | null; error: string | null }>(
      "SELECT at, ok, file, error FROM backup_status WHERE name = 'scheduled'",
      [],
    );
    return row ? { at: Number(row.at), ok: row.ok === true || Number(row.ok) === 1, file: row.file, error: row.error } : null;
  }

  /** Keeps the outcome; a failure to keep it (the disk full, say) is logged and does not hide the backup's own outcome. */
  private async record(o: ScheduledBackupOutcome): Promise<void> {
    if (!this.db) return;
    const db = this.db;
    try {
      await db.transaction((m) =>
        db.execute(
          "INSERT INTO backup_status (name, at, ok, file, error) VALUES ('scheduled', ?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET at = excluded.at, ok = excluded.ok, file = excluded.file, error = excluded.error",
          [o.at, o.ok, o.file, o.error],
          m,
        ),
      );
    } catch (err) {
      this.logger.warn(`Could not record the scheduled backup's outcome: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  /** Deletes this service's backups older than BACKUP_RETENTION_DAYS (by the time in their name); returns the names deleted. */
  prune(now = new Date()): string[] {
    if (!existsSync(this.config.backup.dir)) return [];
    const cutoff = now.getTime() - this.config.backup.retentionDays * 86_400_000;
    const deleted: string[] = [];
    for (const name of readdirSync(this.config.backup.dir)) {
      const m = BACKUP_FILE_PATTERN.exec(name);
      if (!m) continue;
      const at = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]);
      if (at < cutoff) {
        unlinkSync(join(this.config.backup.dir, name));
        deleted.push(name);
      }
    }
    return deleted;
  }

  onApplicationBootstrap(): void {
    if (this.config.database.type !== 'sqlite') {
      this.logger.log(`Scheduled backups are off: ${PG_DUMP_MESSAGE}`);
      return;
    }
    this.job = CronJob.from({
      cronTime: `0 0 ${this.config.backup.hour} * * *`,
      timeZone: this.config.schedulerTimezone,
      onTick: () => {
        this.runScheduledBackup().catch((err) => this.logger.error(`Scheduled backup failed: ${err instanceof Error ? err.message : String(err)}`));
      },
      start: true,
    });
    this.registry?.addCronJob(BACKUP_JOB, this.job as never);
    this.logger.log(
      `Daily backup at ${pad(this.config.backup.hour)}:00 ${this.config.schedulerTimezone} into ${this.config.backup.dir}, kept ${this.config.backup.retentionDays} day(s)`,
    );
  }

  onApplicationShutdown(): void {
    this.job?.stop();
    if (this.registry?.doesExist('cron', BACKUP_JOB)) this.registry.deleteCronJob(BACKUP_JOB);
  }

  /** When the next scheduled backup runs (for logs and tests). */
  nextRun(): Date | undefined {
    return this.job?.nextDate().toJSDate();
  }
}
