import { DomainError, ServiceUnavailableError } from '../common/domain-errors';

/** Seconds a caller is told to wait before retrying while the database is unreachable or locked. */
export const DATABASE_RETRY_AFTER_SEC = 5;

/**
 * Errors that say the database cannot be reached right now (PostgreSQL restarting, stopped or refusing
 * connections; the network to it down), as opposed to a problem with the request or the data.
 */
const UNREACHABLE_CODES = new Set([
  // node's socket errors
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  // PostgreSQL: connection exceptions (class 08), shutting down or starting up, out of connection slots
  '08000',
  '08001',
  '08003',
  '08004',
  '08006',
  '08P01',
  '57P01',
  '57P02',
  '57P03',
  '53300',
]);

/** node-postgres's own words for a connection that broke or never came, which carry no code. */
const UNREACHABLE_MESSAGE =
  /Connection terminated|connection timeout|timeout exceeded when trying to connect|is not queryable|not currently accepting connections/i;

function codeOf(err: unknown): string | undefined {
  const e = err as { code?: unknown; driverError?: { code?: unknown } } | null;
  const code = e?.driverError?.code ?? e?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * The 503 answer for an error that means "the database is not available now, retry shortly", or
 * undefined for any other error. The pools reconnect by themselves: nothing is to be done but wait.
 */
export function databaseUnavailable(err: unknown): ServiceUnavailableError | undefined {
  // A domain error already says what happened (a meter's link, too long a read): never re-read its words.
  if (!(err instanceof Error) || err instanceof DomainError) return undefined;
  const code = codeOf(err);
  if (code === 'SQLITE_BUSY') {
    // Another process (a backup tool, the sqlite3 shell) held the database file longer than the busy timeout.
    return new ServiceUnavailableError('The database is locked by another program; retry shortly', DATABASE_RETRY_AFTER_SEC);
  }
  if ((code && UNREACHABLE_CODES.has(code)) || UNREACHABLE_MESSAGE.test(err.message)) {
    return new ServiceUnavailableError('The database is not reachable; retry shortly', DATABASE_RETRY_AFTER_SEC);
  }
  return undefined;
}

/** SQLite's and PostgreSQL's answer when the disk holding the database is full (the caller answers 507). */
export function databaseDiskFull(err: unknown): boolean {
  const code = codeOf(err);
  return code === 'SQLITE_FULL' || code === '53100';
}
