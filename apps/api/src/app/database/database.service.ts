import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import { DataSource, EntityManager, QueryFailedError, QueryRunner } from 'typeorm';
import { PostgresReadConnections, ReadConnections, SqliteReadConnections } from './read-connections';

/** The part of a sqlite3 Database used here. */
interface SqliteConnection {
  all(sql: string, params: unknown[], done: (err: Error | null, rows: unknown[]) => void): void;
  run(sql: string, params: unknown[], done: (this: { changes: number; lastID: number }, err: Error | null) => void): void;
  exec(sql: string, done: (err: Error | null) => void): void;
}

/** A write transaction waiting for its turn (SQLite). */
interface PendingWrite<T> {
  fn: (manager: EntityManager) => Promise<T>;
  resolve: (value: T) => void;
  reject: (err: unknown) => void;
}

/** One write statement with `?` placeholders and its parameters. */
export interface SqlWrite {
  sql: string;
  params: unknown[];
}

export interface DatabaseOptions {
  /** QUERY_TIMEOUT_MS: the bound of a scan(). */
  queryTimeoutMs: number;
}

/**
 * The one door to the database for services that write or run hand-written SQL.
 *
 * SQLite through TypeORM shares a single connection (and a single query runner)
 * between all requests, so two transactions at once would nest into each other.
 * Write transactions are therefore queued one after another on SQLite, which is
 * how SQLite writes anyway. PostgreSQL gets real concurrent transactions.
 */
@Injectable()
export class Database implements OnApplicationShutdown {
  readonly kind: 'sqlite' | 'postgres';
  private writeTail: Promise<unknown> = Promise.resolve();
  private readonly pending: PendingWrite<unknown>[] = [];
  private readers?: ReadConnections;

  constructor(
    readonly dataSource: DataSource,
    private readonly options: DatabaseOptions = { queryTimeoutMs: 10_000 },
  ) {
    this.kind = dataSource.options.type === 'postgres' ? 'postgres' : 'sqlite';
  }

  async onApplicationShutdown(): Promise<void> {
    await this.readers?.close();
  }

  /** Runs fn in one transaction; everything it writes commits together or not at all. */
  transaction<T>(fn: (manager: EntityManager) => Promise<T>): Promise<T> {
    if (this.kind === 'postgres') return this.dataSource.transaction(fn);
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ fn, resolve, reject } as PendingWrite<unknown>);
      // The first write to queue schedules a flush; those that join before it starts ride along.
      if (this.pending.length === 1) this.writeTail = this.writeTail.then(() => this.flushWrites()).catch(() => undefined);
    });
  }

  /**
   * Group commit for SQLite: the writes that queued up while the previous group was
   * being written share one transaction, so the disk sees one commit (one fsync) for
   * all of them. Writes rarely fail, so the group runs without a savepoint per write
   * (two statements fewer per write, and every statement waits its turn on the main
   * thread): if one fails, the whole group is rolled back and each write runs again
   * in a transaction of its own, so every caller still gets all-or-nothing.
   * While writes keep coming, one group's COMMIT and the next group's BEGIN go to the
   * database thread together, which saves the wait for a busy main thread in between.
   */
  private async flushWrites(): Promise<void> {
    let runner: QueryRunner | undefined;
    try {
      while (this.pending.length > 0) {
        const group = this.pending.splice(0, this.pending.length);
        if (!runner) {
          runner = this.dataSource.createQueryRunner();
          await runner.startTransaction();
        }
        let outcome: { ok: true; values: unknown[] } | { ok: false; error: unknown };
        try {
          const values: unknown[] = [];
          for (const write of group) values.push(await write.fn(runner.manager));
          // The transaction stays open in TypeORM's eyes: after this, it is the next group's.
          if (this.pending.length > 0) await this.execSqlite('COMMIT; BEGIN');
          else await runner.commitTransaction();
          outcome = { ok: true, values };
        } catch (error) {
          outcome = { ok: false, error };
        }
        if (outcome.ok) {
          const values = outcome.values;
          group.forEach((write, i) => write.resolve(values[i]));
          if (!runner.isTransactionActive) runner = await this.releaseRunner(runner);
          continue;
        }
        runner = await this.releaseRunner(runner);
        if (group.length === 1) {
          group[0].reject(outcome.error);
          continue;
        }
        for (const write of group) {
          const alone = await this.runAlone(write);
          if (alone.ok) write.resolve(alone.value);
          else write.reject(alone.error);
        }
      }
    } finally {
      if (runner) await this.releaseRunner(runner);
    }
  }

  /** Rolls back what the runner still has open and gives it back; undefined, for the caller's variable. */
  private async releaseRunner(runner: QueryRunner): Promise<undefined> {
    if (runner.isTransactionActive) {
      if (this.kind === 'sqlite') await this.abandonSqliteTransaction(runner);
      else await runner.rollbackTransaction().catch(() => undefined);
    }
    await runner.release();
    return undefined;
  }

  /**
   * SQLite ends a transaction on its own when a COMMIT fails for a full disk (or an I/O error);
   * TypeORM's runner does not know and would open the next "transaction" as a SAVEPOINT inside
   * whatever is left, so writes were acknowledged that no COMMIT ever covered. A plain ROLLBACK
   * (refused harmlessly when nothing is open) and a reset of the runner's bookkeeping put both
   * back in step: no transaction open anywhere.
   */
  private async abandonSqliteTransaction(runner: QueryRunner): Promise<void> {
    await this.execSqlite('ROLLBACK').catch(() => undefined);
    Object.assign(runner, { isTransactionActive: false, transactionDepth: 0 });
  }

  private async runAlone(write: PendingWrite<unknown>): Promise<{ ok: true; value: unknown } | { ok: false; error: unknown }> {
    const runner = this.dataSource.createQueryRunner();
    try {
      await runner.startTransaction();
      const value = await write.fn(runner.manager);
      await runner.commitTransaction();
      return { ok: true, value };
    } catch (error) {
      return { ok: false, error };
    } finally {
      await this.releaseRunner(runner);
    }
  }

  /** TypeORM keeps exactly one connection to SQLite: statements sent on it belong to the transaction open on it. */
  private get sqliteConnection(): SqliteConnection {
    return (this.dataSource.driver as unknown as { databaseConnection: SqliteConnection }).databaseConnection;
  }

  private execSqlite(sql: string): Promise<void> {
    return new Promise((resolve, reject) => this.sqliteConnection.exec(sql, (err) => (err ? reject(new QueryFailedError(sql, [], err)) : resolve())));
  }

  /**
   * Runs a read that may scan many rows (a chart over months, statistics, a page of raw values), written
   * with `?` placeholders, on connections of its own: on SQLite the connection that writes would
   * otherwise be held for the whole read, and every reading stored meanwhile would wait. Past
   * QUERY_TIMEOUT_MS the read is stopped (422: narrow the range), or refused if it never got a turn
   * (503). It sees what was committed when it started; never use it inside a transaction.
   */
  scan<T = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> {
    this.readers ??=
      this.kind === 'sqlite'
        ? new SqliteReadConnections(String(this.dataSource.options.database), this.options.queryTimeoutMs)
        : new PostgresReadConnections(String((this.dataSource.options as { url?: string }).url), this.options.queryTimeoutMs);
    return this.readers.all<T>(this.sql(sql), params);
  }

  /** Runs a short read written with `?` placeholders on either engine (on SQLite, on the connection that writes). */
  query<T = Record<string, unknown>>(sql: string, params: unknown[] = [], manager?: EntityManager): Promise<T[]> {
    return (manager ?? this.dataSource.manager).query(this.sql(sql), params);
  }

  /**
   * Runs a write and says how many rows it changed. On SQLite the statement goes straight to the
   * driver's connection: TypeORM keeps exactly one, so the statement is part of the transaction
   * open on it, and the driver call skips TypeORM's per-statement logging and event work, which
   * costs more than the insert itself on the ingest path.
   */
  async execute(sql: string, params: unknown[], manager: EntityManager): Promise<number> {
    if (this.kind === 'sqlite') return (await this.runSqlite(sql, params)).changes;
    const runner = manager.queryRunner ?? this.dataSource.createQueryRunner();
    const result = await runner.query(this.sql(sql), params, true);
    return result.affected ?? 0;
  }

  /**
   * Runs a DELETE ... RETURNING inside the caller's transaction and gives back the rows it
   * deleted (TypeORM's query() drops them on SQLite, and wraps them on PostgreSQL).
   */
  async deleteReturning<T = Record<string, unknown>>(sql: string, params: unknown[], manager: EntityManager): Promise<T[]> {
    if (this.kind === 'sqlite') {
      return new Promise((resolve, reject) =>
        this.sqliteConnection.all(sql, params, (err, rows) => (err ? reject(new QueryFailedError(sql, params, err)) : resolve(rows as T[]))),
      );
    }
    const runner = manager.queryRunner ?? this.dataSource.createQueryRunner();
    return ((await runner.query(this.sql(sql), params, true)).records ?? []) as T[];
  }

  /** Runs an INSERT of one row into a table with an `id` key and returns the new row's id. */
  async insertReturningId(sql: string, params: unknown[], manager: EntityManager): Promise<number> {
    if (this.kind === 'sqlite') return (await this.runSqlite(sql, params)).lastID;
    const [row] = await manager.query(this.sql(`${sql} RETURNING id`), params);
    return Number(row.id);
  }

  /**
   * Statements of the caller's transaction that do not wait for each other's answers, gathered and
   * sent at once (CombinedStatements.send): one round trip to the server on PostgreSQL.
   */
  combined(manager: EntityManager): CombinedStatements {
    return new CombinedStatements(this, manager);
  }

  /** A SELECT of one value on TypeORM's one SQLite connection (in the transaction open on it). */
  sqliteValue(sql: string, params: unknown[]): Promise<unknown> {
    return new Promise((resolve, reject) =>
      this.sqliteConnection.all(sql, params, (err, rows) =>
        err ? reject(new QueryFailedError(sql, params, err)) : resolve(rows[0] ? Object.values(rows[0] as object)[0] : undefined),
      ),
    );
  }

  /** A statement straight on TypeORM's one SQLite connection (see execute). */
  runSqlite(sql: string, params: unknown[]): Promise<{ changes: number; lastID: number }> {
    return new Promise((resolve, reject) =>
      this.sqliteConnection.run(sql, params, function (this: { changes: number; lastID: number }, err: Error | null) {
        if (err) reject(new QueryFailedError(sql, params, err));
        else resolve({ changes: this.changes, lastID: this.lastID });
      }),
    );
  }

  /** SQLite takes `?`; PostgreSQL numbers its placeholders. Our SQL has no `?` inside string literals. */
  sql(text: string): string {
    if (this.kind === 'sqlite') return text;
    let n = 0;
    return text.replace(/\?/g, () => `$${++n}`);
  }
}

/** Bound values per combined statement on PostgreSQL, well under its limit of 65,535. */
const PARAMS_PER_COMBINED_STATEMENT = 30_000;

type Combined =
  | { kind: 'write'; sql: string; params: unknown[] }
  | { kind: 'insertId'; sql: string; params: unknown[]; settle: Settle<number> }
  | { kind: 'value'; sql: string; params: unknown[]; settle: Settle<unknown> };

interface Settle<T> {
  resolve: (value: T) => void;
  reject: (err: unknown) => void;
}

/**
 * Statements of one transaction that need no answer (write), or one row's new id (insertId), or one
 * value (value), that do not depend on each other: they are gathered, then sent together by send().
 * PostgreSQL: one statement, `WITH w0 AS (…), w1 AS (… RETURNING id) SELECT (SELECT id FROM w1), (value)`,
 * whose parts all see the same snapshot, so two parts must not touch the same rows. SQLite: all at
 * once. Each answer's promise settles when send() does.
 */
export class CombinedStatements {
  private readonly parts: Combined[] = [];
  private sent = false;

  constructor(
    private readonly db: Database,
    private readonly manager: EntityManager,
  ) {}

  write({ sql, params }: SqlWrite): void {
    this.add({ kind: 'write', sql, params });
  }

  /** An INSERT of one row into a table with an `id` key: the new row's id. */
  insertId(sql: string, params: unknown[]): Promise<number> {
    return this.answer<number>((settle) => this.add({ kind: 'insertId', sql, params, settle }));
  }

  /** A SELECT of one column of at most one row: its value (undefined without a row). */
  value(sql: string, params: unknown[] = []): Promise<unknown> {
    return this.answer<unknown>((settle) => this.add({ kind: 'value', sql, params, settle }));
  }

  async send(): Promise<void> {
    if (this.sent) throw new Error('CombinedStatements sent twice');
    this.sent = true;
    const parts = this.parts;
    if (parts.length === 0) return;
    try {
      if (this.db.kind === 'sqlite') {
        // All sent at once: they queue on the database's thread without a turn of the busy main thread
        // between them. Settled only once every one has: none may still run when the transaction is rolled back.
        const outcomes = await Promise.allSettled(
          parts.map(async (p) => (p.kind === 'value' ? this.db.sqliteValue(p.sql, p.params) : (await this.db.runSqlite(p.sql, p.params)).lastID)),
        );
        for (const o of outcomes) if (o.status === 'rejected') throw o.reason;
        parts.forEach((p, i) => {
          const answer = (outcomes[i] as PromiseFulfilledResult<unknown>).value;
          if (p.kind === 'insertId') p.settle.resolve(answer as number);
          else if (p.kind === 'value') p.settle.resolve(answer);
        });
        return;
      }
      // PostgreSQL takes at most 65,535 bound values per statement: a big batch's parts (10,000 readings'
      // pending sums alone are 160,000) go in several statements of the transaction, the answers last.
      const ordered = [...parts.filter((p) => p.kind !== 'value'), ...parts.filter((p) => p.kind === 'value')];
      const statements: Combined[][] = [[]];
      let bound = 0;
      for (const p of ordered) {
        const current = statements[statements.length - 1];
        if (current.length && bound + p.params.length > PARAMS_PER_COMBINED_STATEMENT) {
          statements.push([p]);
          bound = p.params.length;
        } else {
          current.push(p);
          bound += p.params.length;
        }
      }
      for (const group of statements) {
        const ctes: string[] = [];
        const answers: string[] = [];
        const params: unknown[] = [];
        group.forEach((p, i) => {
          if (p.kind === 'value') return;
          ctes.push(`w${i} AS (${p.sql}${p.kind === 'insertId' ? ' RETURNING id' : ''})`);
          params.push(...p.params);
          if (p.kind === 'insertId') answers.push(`(SELECT id FROM w${i}) AS a${i}`);
        });
        group.forEach((p, i) => {
          if (p.kind !== 'value') return;
          answers.push(`(${p.sql}) AS a${i}`);
          params.push(...p.params);
        });
        const text = `${ctes.length ? `WITH ${ctes.join(', ')} ` : ''}SELECT ${answers.length ? answers.join(', ') : '1 AS a'}`;
        const [row] = await this.manager.query(this.db.sql(text), params);
        group.forEach((p, i) => {
          if (p.kind === 'insertId') p.settle.resolve(Number(row[`a${i}`]));
          else if (p.kind === 'value') p.settle.resolve(row[`a${i}`] ?? undefined);
        });
      }
    } catch (err) {
      for (const p of parts) if (p.kind !== 'write') p.settle.reject(err);
      throw err;
    }
  }

  /** A statement added once they are sent would never run, and its answer never come: a bug, said at once. */
  private add(part: Combined): void {
    if (this.sent) throw new Error('a statement was added to CombinedStatements after send()');
    this.parts.push(part);
  }

  private answer<T>(add: (settle: Settle<T>) => void): Promise<T> {
    let settle!: Settle<T>;
    const promise = new Promise<T>((resolve, reject) => (settle = { resolve, reject }));
    // The caller hears of a failure from send(); an answer it no longer waits for must not count as unhandled.
    promise.catch(() => undefined);
    add(settle);
    return promise;
  }
}
