import type { MigrationInterface, QueryRunner } from 'typeorm';

/** A client's IANA time zone (its days, weeks and months); NULL follows PLANT_TIMEZONE. */
export class ClientTimezone1764255000000 implements MigrationInterface {
  name = 'ClientTimezone1764255000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE clients ADD COLUMN timezone VARCHAR(64) NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE clients DROP COLUMN timezone`);
  }
}
