import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';

/**
 * The one door to the database for services that write or run hand-written SQL.
 *
 * SQLite through TypeORM shares a single connection (and a single query runner)
 * between all requests, so two transactions at once would nest into each other.
 * Write transactions are therefore queued one after another on SQLite, which is
 * how SQLite writes anyway. PostgreSQL gets real concurrent transactions.
 */
@Injectable()
export class Database {
  readonly kind: 'sqlite' | 'postgres';
  private writeTail: Promise<unknown> = Promise.resolve();

  constructor(readonly dataSource: DataSource) {
    this.kind = dataSource.options.type === 'postgres' ? 'postgres' : 'sqlite';
  }

  /** Runs fn in one transaction; everything it writes commits together or not at all. */
  transaction<T>(fn: (manager: EntityManager) => Promise<T>): Promise<T> {
    if (this.kind === 'postgres') return this.dataSource.transaction(fn);
    const run = this.writeTail.then(() => this.dataSource.transaction(fn));
    this.writeTail = run.catch(() => undefined);
    return run;
  }

  /** Runs a read written with `?` placeholders on either engine. */
  query<T = Record<string, unknown>>(sql: string, params: unknown[] = [], manager?: EntityManager): Promise<T[]> {
    return (manager ?? this.dataSource.manager).query(this.sql(sql), params);
  }

  /** Runs a write and says how many rows it changed. */
  async execute(sql: string, params: unknown[], manager: EntityManager): Promise<number> {
    const runner = manager.queryRunner ?? this.dataSource.createQueryRunner();
    const result = await runner.query(this.sql(sql), params, true);
    return result.affected ?? 0;
  }

  /** SQLite takes `?`; PostgreSQL numbers its placeholders. Our SQL has no `?` inside string literals. */
  sql(text: string): string {
    if (this.kind === 'sqlite') return text;
    let n = 0;
    return text.replace(/\?/g, () => `$${++n}`);
  }
}
