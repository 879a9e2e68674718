import { isAbsolute, resolve } from 'node:path';
import { ConfigurationError } from '../config/app-config';

/** Where and when the server writes its daily SQLite backup. */
export interface BackupSettings {
  /** BACKUP_DIR (default <DATA_DIR>/backups). */
  dir: string;
  /** BACKUP_RETENTION_DAYS (default 7): scheduled backups older than this are deleted. */
  retentionDays: number;
  /** BACKUP_HOUR (0-23, default 3) in SCHEDULER_TIMEZONE. */
  hour: number;
}

export const BACKUP_SETTINGS = Symbol('BACKUP_SETTINGS');

function intVar(env: Record<string, string | undefined>, name: string, fallback: number, min: number, max: number, errors: string[]): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    errors.push(`${name}=${JSON.stringify(raw)}: must be a whole number from ${min} to ${max}`);
    return fallback;
  }
  return Number(raw);
}

/**
 * The backup variables, validated like the rest of the configuration: a bad value throws a
 * ConfigurationError naming the variable. (Kept beside the feature for now; it can move into
 * loadConfig/AppConfig as `backup` without changing its shape.)
 */
export function loadBackupSettings(env: Record<string, string | undefined>, dataDir: string, cwd = process.cwd()): BackupSettings {
  const errors: string[] = [];
  const retentionDays = intVar(env, 'BACKUP_RETENTION_DAYS', 7, 1, 3650, errors);
  const hour = intVar(env, 'BACKUP_HOUR', 3, 0, 23, errors);
  if (errors.length > 0) throw new ConfigurationError(`Invalid configuration:\n  ${errors.join('\n  ')}`);
  const raw = env['BACKUP_DIR'];
  const dir = raw ? (isAbsolute(raw) ? raw : resolve(cwd, raw)) : resolve(dataDir, 'backups');
  return { dir, retentionDays, hour };
}
