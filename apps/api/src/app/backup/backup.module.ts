import { Module } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { BACKUP_SETTINGS, loadBackupSettings } from './backup-settings';
import { BackupService } from './backup.service';

/** Daily online backup of the SQLite database (BACKUP_DIR, BACKUP_RETENTION_DAYS, BACKUP_HOUR). Needs ScheduleModule.forRoot() for the registry. */
@Module({
  providers: [
    { provide: BACKUP_SETTINGS, inject: [APP_CONFIG], useFactory: (config: AppConfig) => loadBackupSettings(process.env, config.dataDir) },
    BackupService,
  ],
  exports: [BackupService],
})
export class BackupModule {}
