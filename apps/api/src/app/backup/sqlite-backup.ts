import { closeSync, existsSync, linkSync, mkdirSync, openSync, statSync, unlinkSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import * as sqlite3 from 'sqlite3';
import { PRIVATE_DIR_MODE, PRIVATE_FILE_MODE } from '../common/private-files';

/** A backup request the caller can fix: the target exists, the database is missing, the engine is PostgreSQL. */
export class BackupError extends Error {}

export const PG_DUMP_MESSAGE =
  'The database is PostgreSQL: back it up with pg_dump (for example `pg_dump -Fc -f pieng.dump "$DATABASE_URL"`, restore with pg_restore); db-backup copies SQLite databases only.';

function open(path: string, mode: number): Promise<sqlite3.Database> {
  return new Promise((ok, fail) => {
    const db = new sqlite3.Database(path, mode, (err) => (err ? fail(err) : ok(db)));
  });
}
const run = (db: sqlite3.Database, sql: string, params: unknown[] = []) =>
  new Promise<void>((ok, fail) => db.run(sql, params, (err) => (err ? fail(err) : ok())));
const close = (db: sqlite3.Database) => new Promise<void>((ok) => db.close(() => ok()));

/**
 * A consistent copy of a live SQLite database (WAL contents included) written with VACUUM INTO
 * on a connection of its own, so the server's connection is never blocked; readers and writers
 * of a WAL database go on meanwhile. The copy goes to a temporary name beside the target and is
 * then hard-linked into place, which fails rather than overwrite a file that appeared meanwhile.
 * Returns the absolute path and size in bytes.
 */
export async function backupSqlite(databasePath: string, target: string): Promise<{ path: string; bytes: number }> {
  const file = resolve(target);
  if (existsSync(file)) throw new BackupError(`Refusing to overwrite ${file}: it already exists; choose a new file name`);
  if (!existsSync(databasePath)) throw new BackupError(`No database at ${databasePath}: nothing to back up`);
  mkdirSync(dirname(file), { recursive: true, mode: PRIVATE_DIR_MODE });
  const tmp = join(dirname(file), `.${basename(file)}.${process.pid}.${Date.now()}.partial`);
  // Read-only: the copy can never change the source. Writable WAL/shm files are still used, so a running server's WAL is included.
  const db = await open(databasePath, sqlite3.OPEN_READONLY);
  try {
    // The copy holds what the database holds: it is written into an empty file made owner-only first
    // (VACUUM INTO fills an empty file and keeps its mode; a file it created itself would be 0644).
    closeSync(openSync(tmp, 'wx', PRIVATE_FILE_MODE));
    db.configure('busyTimeout', 10_000);
    await run(db, 'VACUUM INTO ?', [tmp]);
  } catch (err) {
    if (existsSync(tmp)) unlinkSync(tmp);
    throw err;
  } finally {
    await close(db);
  }
  try {
    linkSync(tmp, file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new BackupError(`Refusing to overwrite ${file}: it already exists; choose a new file name`);
    throw err;
  } finally {
    unlinkSync(tmp);
  }
  return { path: file, bytes: statSync(file).size };
}
