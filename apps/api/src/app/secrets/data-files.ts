import { closeSync, existsSync, mkdirSync, openSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { BACKUP_FILE_PATTERN } from '../backup/backup.service';
import { makePrivate, PRIVATE_DIR_MODE, PRIVATE_FILE_MODE } from '../common/private-files';
import type { AppConfig } from '../config/app-config';
import { SECRETS_KEY_FILE } from './secrets-key';

/** Files in DATA_DIR beside the database and the audit trail, all of them secrets. */
const SECRET_FILES = ['jwt-secret', SECRETS_KEY_FILE, 'initial-admin-password'];

/** Every data file the server writes for this configuration, whether it exists yet or not (scheduled backups: those that exist). */
export function dataFiles(config: AppConfig): string[] {
  const files = SECRET_FILES.map((name) => join(config.dataDir, name));
  files.push(config.auditLogPath, `${config.auditLogPath}.id`);
  if (config.database.type === 'sqlite') {
    const db = config.database.path;
    files.push(db, `${db}-wal`, `${db}-shm`, `${db}-journal`);
  }
  if (existsSync(config.backup.dir)) {
    for (const name of readdirSync(config.backup.dir)) if (BACKUP_FILE_PATTERN.test(name)) files.push(join(config.backup.dir, name));
  }
  return files;
}

/**
 * Run at start-up, before the database is opened. Data files are created owner-only (0600) by
 * whoever writes them; this makes the existing ones so too (written by an older version, or
 * restored by hand), and creates an empty SQLite database file with mode 0600 when there is none:
 * SQLite gives the -wal and -shm files it creates the database file's permissions. Directories the
 * server creates are 0700; existing directories are left as the operator made them.
 * Returns the files whose permissions were narrowed.
 */
export function makeDataFilesPrivate(config: AppConfig): string[] {
  if (!existsSync(config.dataDir)) mkdirSync(config.dataDir, { recursive: true, mode: PRIVATE_DIR_MODE });
  if (config.database.type === 'sqlite' && !existsSync(config.database.path)) {
    mkdirSync(dirname(config.database.path), {
      recursive: true,
      mode: PRIVATE_DIR_MODE,
    });
    closeSync(openSync(config.database.path, 'a', PRIVATE_FILE_MODE));
  }
  return makePrivate(dataFiles(config));
}
