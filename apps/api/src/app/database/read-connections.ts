import { Pool } from 'pg';
import * as sqlite3 from 'sqlite3';
import { QueryFailedError } from 'typeorm';
import { ServiceUnavailableError, UnprocessableError } from '../common/domain-errors';

/**
 * Connections of their own for reads that may scan many rows (charts, statistics, raw pages), so that
 * such a read never makes a write wait, and a bound on how long one may take.
 */
export interface ReadConnections {
  all<T>(sql: string, params: unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

/** A caller told to retry a read that never got a turn may do so after this many seconds. */
export const READ_RETRY_AFTER_SEC = 5;

const duration = (ms: number) => (ms < 1000 ? `${ms} ms` : `${+(ms / 1000).toFixed(1)} s`);

/** The answer to a read that ran past the bound: the request asked for more than can be read in time. */
export function readTooLong(timeoutMs: number): UnprocessableError {
  return new UnprocessableError(
    `This read covers more stored values than can be read within ${duration(timeoutMs)} (QUERY_TIMEOUT_MS), so it was stopped: narrow the time range (from, to) or ask for fewer metrics`,
  );
}

function busyWithOtherReads(timeoutMs: number): ServiceUnavailableError {
  return new ServiceUnavailableError(
    `The database could not start this read within ${duration(timeoutMs)} (busy with other long reads); retry shortly`,
    READ_RETRY_AFTER_SEC,
  );
}

/**
 * SQLite: read-only connections beside the one that writes (WAL lets readers and the writer work at
 * once; each read sees what was committed when it started).
 *
 * Two connections, each running one statement at a time, the others queued here: the sqlite3
 * driver runs a statement on one of libuv's four threads for as long as it takes (a statement
 * waiting for a busy connection holds a thread too), and the writer, the audit file and password
 * hashing need the others. A read waits in the queue, runs, and is interrupted (sqlite3_interrupt)
 * once the bound is over. Measured with eight parallel chart reads over 1M values and another
 * client's one-reading ingest (long-reads.spec.ts, load 12-15): four read connections took that
 * ingest to a 12 s median (every libuv thread reading), two left it at 20 ms, one at 31 ms.
 */
export class SqliteReadConnections implements ReadConnections {
  static readonly SIZE = 2;
  private readonly idle: sqlite3.Database[] = [];
  private readonly queue: Array<{ start: (c: sqlite3.Database) => void }> = [];
  private opening?: Promise<void>;
  private closed = false;

  constructor(
    private readonly path: string,
    private readonly timeoutMs: number,
  ) {}

  private open(): Promise<void> {
    this.opening ??= Promise.all(
      Array.from(
        { length: SqliteReadConnections.SIZE },
        () =>
          new Promise<sqlite3.Database>((resolve, reject) => {
            const c: sqlite3.Database = new sqlite3.Database(this.path, sqlite3.OPEN_READONLY, (err) => (err ? reject(err) : resolve(c)));
          }),
      ),
    ).then((connections) => {
      for (const c of connections) {
        // A checkpoint can hold readers for a moment; wait rather than fail.
        c.configure('busyTimeout', 5000);
        this.release(c);
      }
    });
    return this.opening;
  }

  async all<T>(sql: string, params: unknown[]): Promise<T[]> {
    if (this.closed) throw new ServiceUnavailableError('The server is shutting down', READ_RETRY_AFTER_SEC);
    await this.open(); // once: not counted in the bound
    const deadline = performance.now() + this.timeoutMs;
    const connection = await this.turn(deadline);
    try {
      return await this.run<T>(connection, sql, params, deadline);
    } finally {
      this.release(connection);
    }
  }

  /** A connection of its own for the caller, as soon as one is free and before the deadline. */
  private turn(deadline: number): Promise<sqlite3.Database> {
    const free = this.idle.pop();
    if (free) return Promise.resolve(free);
    return new Promise((resolve, reject) => {
      const waiter = {
        start: (c: sqlite3.Database) => {
          clearTimeout(timer);
          resolve(c);
        },
      };
      const timer = setTimeout(
        () => {
          this.queue.splice(this.queue.indexOf(waiter), 1);
          reject(busyWithOtherReads(this.timeoutMs));
        },
        Math.max(0, deadline - performance.now()),
      );
      this.queue.push(waiter);
    });
  }

  private release(connection: sqlite3.Database): void {
    if (this.closed) return;
    const next = this.queue.shift();
    if (next) next.start(connection);
    else this.idle.push(connection);
  }

  private run<T>(connection: sqlite3.Database, sql: string, params: unknown[], deadline: number): Promise<T[]> {
    if (performance.now() >= deadline) return Promise.reject(busyWithOtherReads(this.timeoutMs));
    return new Promise<T[]>((resolve, reject) => {
      // sqlite3_interrupt() stops the statement running on the connection, and does nothing if it has not
      // started yet on the driver's thread: interrupt again until the statement gives up.
      let again: NodeJS.Timeout | undefined;
      const timer = setTimeout(() => {
        connection.interrupt();
        again = setInterval(() => connection.interrupt(), 20);
      }, deadline - performance.now());
      connection.all(sql, params, (err: (Error & { code?: string }) | null, rows: T[]) => {
        clearTimeout(timer);
        clearInterval(again);
        if (!err) resolve(rows);
        else if (err.code === 'SQLITE_INTERRUPT') reject(readTooLong(this.timeoutMs));
        else reject(new QueryFailedError(sql, params, err));
      });
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const waiter of this.queue.splice(0)) waiter.start = () => undefined;
    await this.opening?.catch(() => undefined);
    await Promise.all(this.idle.splice(0).map((c) => new Promise((resolve) => c.close(resolve))));
  }
}

/**
 * PostgreSQL: a small pool of its own, so that long reads never take the connections that writes
 * need, with statement_timeout set on every connection: the server itself stops a read past the
 * bound. A pool that cannot hand out a connection within the bound answers 503.
 */
export class PostgresReadConnections implements ReadConnections {
  static readonly SIZE = 4;
  private readonly pool: Pool;

  constructor(
    url: string,
    private readonly timeoutMs: number,
  ) {
    this.pool = new Pool({
      connectionString: url,
      max: PostgresReadConnections.SIZE,
      statement_timeout: timeoutMs,
      // Also the wait for a free connection; opening one may take a moment on a busy server, whatever the bound.
      connectionTimeoutMillis: Math.max(timeoutMs, 5000),
      idleTimeoutMillis: 10_000,
    });
    // An idle connection that the server ends (a restart) is dropped by the pool; the next read opens a new one.
    this.pool.on('error', () => undefined);
  }

  async all<T>(sql: string, params: unknown[]): Promise<T[]> {
    try {
      const result = await this.pool.query(sql, params);
      return result.rows as T[];
    } catch (err) {
      const e = err as Error & { code?: string };
      if (e.code === '57014') throw readTooLong(this.timeoutMs); // query_canceled: statement_timeout
      // pg-pool's own words when no connection came within connectionTimeoutMillis.
      if (/timeout exceeded when trying to connect/.test(e.message)) throw busyWithOtherReads(Math.max(this.timeoutMs, 5000));
      throw new QueryFailedError(sql, params, e);
    }
  }

  close(): Promise<void> {
    return this.pool.end();
  }
}
