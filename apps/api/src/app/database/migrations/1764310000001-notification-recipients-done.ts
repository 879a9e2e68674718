import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `notifications.done_to`: the recipients of a delivery that already have it (an SMS channel sends
 * one message per number). A retry after a later number failed sends only to those still missing,
 * so no number gets the same alarm twice.
 */
export class NotificationRecipientsDone1764310000001 implements MigrationInterface {
  name = 'NotificationRecipientsDone1764310000001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE notifications ADD COLUMN done_to TEXT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE notifications DROP COLUMN done_to`);
  }
}
