import { Module } from '@nestjs/common';
import { BackupService } from './backup.service';

/** Daily online backup of the SQLite database (BACKUP_DIR, BACKUP_RETENTION_DAYS, BACKUP_HOUR). Needs ScheduleModule.forRoot() for the registry. */
@Module({
  providers: [BackupService],
  exports: [BackupService],
})
export class BackupModule {}
