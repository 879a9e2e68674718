import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Alarm notifications. `clients.language`: the language of a client's messages (en, pt-BR).
 * `notification_channels`: where a client's (or, with client_id NULL, the platform's) alarm
 * transitions are sent; `config` is JSON whose secrets (a webhook's signing secret, a Telegram bot
 * token) are sealed with the SecretBox. `notifications`: the durable outbox, one row per
 * (transition, channel), written in the transaction that changed the alarm event; the unique
 * idempotency key keeps a transition from being queued twice for one channel.
 */
export class Notifications1764310000000 implements MigrationInterface {
  name = 'Notifications1764310000000';

  async up(q: QueryRunner): Promise<void> {
    const pg = q.connection.options.type === 'postgres';
    const id = pg ? 'SERIAL PRIMARY KEY' : 'INTEGER PRIMARY KEY AUTOINCREMENT';
    const bigId = pg ? 'BIGSERIAL PRIMARY KEY' : 'INTEGER PRIMARY KEY AUTOINCREMENT';
    const bool = pg ? 'BOOLEAN' : 'INTEGER';
    const yes = pg ? 'TRUE' : '1';
    const no = pg ? 'FALSE' : '0';
    await q.query(`ALTER TABLE clients ADD COLUMN language VARCHAR(8) NOT NULL DEFAULT 'en'`);
    await q.query(`CREATE TABLE notification_channels (
      id ${id},
      client_id INTEGER NULL REFERENCES clients(id) ON DELETE CASCADE,
      name VARCHAR(200) NOT NULL,
      type VARCHAR(16) NOT NULL,
      config TEXT NOT NULL,
      min_severity VARCHAR(16) NOT NULL,
      on_kinds VARCHAR(100) NOT NULL,
      enabled ${bool} NOT NULL DEFAULT ${yes},
      staff_target ${bool} NOT NULL DEFAULT ${no},
      created_at BIGINT NOT NULL,
      updated_at BIGINT NOT NULL)`);
    await q.query(`CREATE INDEX ix_notification_channels_client ON notification_channels (client_id)`);
    await q.query(`CREATE TABLE notifications (
      id ${bigId},
      channel_id INTEGER NOT NULL REFERENCES notification_channels(id) ON DELETE CASCADE,
      client_id INTEGER NULL,
      idempotency_key VARCHAR(200) NOT NULL,
      event_id BIGINT NULL,
      history_id BIGINT NULL,
      kind VARCHAR(20) NOT NULL,
      severity VARCHAR(16) NOT NULL,
      payload TEXT NOT NULL,
      status VARCHAR(12) NOT NULL,
      attempts INTEGER NOT NULL DEFAULT 0,
      next_attempt_at BIGINT NOT NULL,
      give_up_at BIGINT NOT NULL,
      last_attempt_at BIGINT NULL,
      last_error TEXT NULL,
      delivered_at BIGINT NULL,
      created_at BIGINT NOT NULL)`);
    await q.query(`CREATE UNIQUE INDEX ux_notifications_key ON notifications (idempotency_key)`);
    // The worker's look: due pending rows, soonest first.
    await q.query(`CREATE INDEX ix_notifications_due ON notifications (status, next_attempt_at)`);
    await q.query(`CREATE INDEX ix_notifications_channel ON notifications (channel_id, created_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE notifications`);
    await q.query(`DROP TABLE notification_channels`);
    await q.query(`ALTER TABLE clients DROP COLUMN language`);
  }
}
