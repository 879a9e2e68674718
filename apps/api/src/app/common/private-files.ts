import { chmodSync, lstatSync, readFileSync, writeFileSync } from 'node:fs';

/**
 * Owner read and write only. The data files hold the readings, the audit trail and the secrets
 * (device credentials, the signing and encryption keys): no other account on the server reads them.
 */
export const PRIVATE_FILE_MODE = 0o600;
/** Directories the server creates for its data files. */
export const PRIVATE_DIR_MODE = 0o700;

/**
 * A secret kept in a file of its own: read it, or on first use write the value `create()` returns
 * (mode 0600) and read that from then on. `wx` makes the first write fail rather than overwrite a
 * file another process wrote meanwhile; that file's value is then used.
 */
export function readOrCreatePrivateFile(file: string, create: () => string): string {
  const read = () => readFileSync(file, 'utf8').trim();
  try {
    return read();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const value = create();
  try {
    writeFileSync(file, value + '\n', { mode: PRIVATE_FILE_MODE, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return read();
    throw err;
  }
  return value;
}

/**
 * Takes group and other permissions away from the files that exist among `paths` (files written
 * by an older version, or copied in by hand). Symbolic links and directories are left alone.
 * Returns the files whose mode changed.
 */
export function makePrivate(paths: Iterable<string>): string[] {
  const changed: string[] = [];
  for (const path of paths) {
    let mode: number;
    try {
      const stat = lstatSync(path);
      if (!stat.isFile()) continue;
      mode = stat.mode & 0o777;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw err;
    }
    if ((mode & 0o077) === 0) continue;
    chmodSync(path, mode & PRIVATE_FILE_MODE);
    changed.push(path);
  }
  return changed;
}
