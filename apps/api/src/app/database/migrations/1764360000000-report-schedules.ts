import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Monthly reports e-mailed on a day of the month (issue 17). One row per schedule: the client, the
 * e-mail channel that carries it, the language and day, and the delivery state of the month being
 * sent: `last_sent_month` (YYYY-MM, the month whose report went out last), the failed `attempts`
 * and `last_error` since, and `next_attempt_at` (ms), the earliest a retry runs after a failure.
 */
export class ReportSchedules1764360000000 implements MigrationInterface {
  name = 'ReportSchedules1764360000000';

  async up(q: QueryRunner): Promise<void> {
    const pg = q.connection.options.type === 'postgres';
    await q.query(`CREATE TABLE report_schedules (
      id ${pg ? 'SERIAL PRIMARY KEY' : 'INTEGER PRIMARY KEY AUTOINCREMENT'},
      client_id INTEGER NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
      channel_id INTEGER NOT NULL REFERENCES notification_channels(id) ON DELETE CASCADE,
      lang VARCHAR(8) NOT NULL,
      day_of_month INTEGER NOT NULL,
      created_by VARCHAR(320) NULL,
      created_at BIGINT NOT NULL,
      last_sent_month VARCHAR(7) NULL,
      last_sent_at BIGINT NULL,
      attempts INTEGER NOT NULL DEFAULT 0,
      last_error TEXT NULL,
      next_attempt_at BIGINT NULL)`);
    await q.query(`CREATE INDEX ix_report_schedules_client ON report_schedules (client_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE report_schedules`);
  }
}
