import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The audit trail's outbox (see AuditOutbox): one row per stored batch, written in the batch's
 * own transaction and deleted once its lines are in the audit file. `entries` is the batch's
 * audit entries as compact JSON; `trail` names the audit file they belong to (instances sharing
 * a PostgreSQL database each keep their own). No index besides the key: the table holds about
 * a second of batches, and a second index would cost every batch an insert more.
 */
export class AuditOutbox1764200000000 implements MigrationInterface {
  name = 'AuditOutbox1764200000000';

  async up(q: QueryRunner): Promise<void> {
    const pg = q.connection.options.type === 'postgres';
    await q.query(`CREATE TABLE audit_outbox (
      id ${pg ? 'BIGSERIAL PRIMARY KEY' : 'INTEGER PRIMARY KEY'},
      trail VARCHAR(64) NOT NULL,
      entries TEXT NOT NULL,
      created_at BIGINT NOT NULL)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE audit_outbox`);
  }
}
