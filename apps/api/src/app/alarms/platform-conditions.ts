import { Inject, Injectable } from '@nestjs/common';
import type { PlatformAlarmType } from '@pieng/shared';
import { statfs } from 'node:fs/promises';
import { BackupService } from '../backup/backup.service';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { ForwardingOutbox } from '../forwarding/forwarding-outbox';

const MB = 1024 * 1024;

/** The comparison each platform rule type makes of its value with the rule's threshold (fixed: the API takes no operator for them). */
export const PLATFORM_OPERATORS = { diskSpace: '<', backupFailed: '>=', forwardingStuck: '>=' } as const satisfies Record<PlatformAlarmType, string>;

/**
 * What the platform alarms measure, on the instance that runs the alarm timer (the holder of the
 * `alarms` lease; on PostgreSQL each instance has a data directory of its own, so disk space is that
 * instance's):
 * - diskSpace: MB (1 MB = 1,048,576 bytes) free for the server in the file system of DATA_DIR,
 *   where the SQLite database, the audit log and (by default) the backups are written;
 * - backupFailed: 1 when the last scheduled backup failed, else 0 (none yet, or it succeeded);
 * - forwardingStuck: minutes the oldest reading still to forward has waited, 0 when none waits or
 *   forwarding is not configured on this instance.
 */
@Injectable()
export class PlatformConditions {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly backups: BackupService,
    private readonly outbox: ForwardingOutbox,
  ) {}

  async measure(type: PlatformAlarmType, now: number): Promise<number> {
    switch (type) {
      case 'diskSpace': {
        const fs = await statfs(this.config.dataDir);
        // bavail, not bfree: the blocks reserved for root are no use to the server.
        return Math.floor((Number(fs.bavail) * Number(fs.bsize)) / MB);
      }
      case 'backupFailed': {
        const last = await this.backups.lastScheduled();
        return last !== null && !last.ok ? 1 : 0;
      }
      case 'forwardingStuck': {
        if (!this.outbox.active) return 0;
        const oldest = await this.outbox.oldestPendingAt();
        return oldest === null ? 0 : Math.max(0, Math.round((now - oldest) / 6_000) / 10);
      }
    }
  }
}
