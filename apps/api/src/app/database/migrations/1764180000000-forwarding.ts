import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Forwarding to another instance: the durable outbox (one row per stored reading,
 * written in the ingest transaction), the overflow ranges kept when the outbox is
 * at its bound (re-enqueued from measurements later), and where a device that
 * arrived by forwarding came from (its type and driver on the master).
 */
export class Forwarding1764180000000 implements MigrationInterface {
  name = 'Forwarding1764180000000';

  async up(q: QueryRunner): Promise<void> {
    const pg = q.connection.options.type === 'postgres';
    const id = pg ? 'BIGSERIAL PRIMARY KEY' : 'INTEGER PRIMARY KEY AUTOINCREMENT';

    await q.query(`CREATE TABLE forward_outbox (
      id ${id},
      device_id INTEGER NOT NULL,
      ts BIGINT NOT NULL,
      metrics TEXT NOT NULL,
      created_at BIGINT NOT NULL,
      dead_at BIGINT NULL,
      last_error TEXT NULL)`);
    // Pending rows oldest first, dead letters apart.
    await q.query(`CREATE INDEX ix_forward_outbox_dead ON forward_outbox (dead_at, id)`);

    await q.query(`CREATE TABLE forward_overflow (
      device_id INTEGER PRIMARY KEY,
      ts_min BIGINT NOT NULL,
      ts_max BIGINT NOT NULL,
      since BIGINT NOT NULL)`);

    await q.query(`CREATE TABLE forwarded_devices (
      device_id INTEGER PRIMARY KEY REFERENCES devices(id) ON DELETE CASCADE,
      origin_device_type VARCHAR(20) NULL,
      origin_driver VARCHAR(40) NULL,
      client_external_id VARCHAR(200) NULL,
      first_seen_at BIGINT NOT NULL)`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['forwarded_devices', 'forward_overflow', 'forward_outbox']) await q.query(`DROP TABLE ${table}`);
  }
}
