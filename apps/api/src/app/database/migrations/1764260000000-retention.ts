import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Retention: a client's own retention per resolution (platform staff set it; null is the
 * platform's default), what the retention job last found and did per resolution (so that the
 * status route never counts rows itself), and an index that lets the job find a device's oldest
 * reading not yet forwarded (readings the slave has not confirmed are never deleted).
 */
export class Retention1764260000000 implements MigrationInterface {
  name = 'Retention1764260000000';

  async up(q: QueryRunner): Promise<void> {
    for (const column of ['retention_raw_days', 'retention_1m_days', 'retention_15m_days', 'retention_1h_days']) {
      await q.query(`ALTER TABLE clients ADD COLUMN ${column} INTEGER NULL`);
    }
    await q.query(`CREATE TABLE retention_status (
      resolution VARCHAR(8) PRIMARY KEY,
      stored_rows BIGINT NOT NULL,
      stored_bytes BIGINT NOT NULL,
      bytes_measured_by VARCHAR(40) NOT NULL,
      deleted_rows BIGINT NOT NULL,
      partitions_dropped INTEGER NOT NULL,
      run_started_at BIGINT NOT NULL,
      run_finished_at BIGINT NOT NULL)`);
    await q.query(`CREATE INDEX ix_forward_outbox_device_ts ON forward_outbox (device_id, ts)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX ix_forward_outbox_device_ts`);
    await q.query(`DROP TABLE retention_status`);
    for (const column of ['retention_1h_days', 'retention_15m_days', 'retention_1m_days', 'retention_raw_days']) {
      await q.query(`ALTER TABLE clients DROP COLUMN ${column}`);
    }
  }
}
