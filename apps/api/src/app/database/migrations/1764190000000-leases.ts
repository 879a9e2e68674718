import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Leases for several instances on one database: who polls which device (or serial line),
 * which instance runs the forwarder, and which instances are alive. One row per lease;
 * `expires_at` is epoch milliseconds on the database's clock. A row that has expired is
 * free for anyone to take; renewing and taking are one upsert (see LeaseStore).
 */
export class Leases1764190000000 implements MigrationInterface {
  name = 'Leases1764190000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE leases (
      name VARCHAR(300) PRIMARY KEY,
      owner VARCHAR(300) NOT NULL,
      expires_at BIGINT NOT NULL)`);
    await q.query(`CREATE INDEX ix_leases_owner ON leases (owner)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE leases`);
  }
}
