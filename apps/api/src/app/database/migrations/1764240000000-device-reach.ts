import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What a device reaches, and who chose it. `connection_set_by_client` is true when a user of the
 * client set the device's connection settings (host, port, serial port, Tuya endpoint): every
 * connect of such a device is held to the plant-network policy again (a host name is resolved,
 * checked and connected to by address). `last_error_for_client` is the last poll error as users of
 * the client see it (no difference between a link that refuses and one that stays silent, no text
 * of a peer that is not Tuya's); `last_error` keeps the detailed one for platform staff.
 * Existing devices count as set by staff: they keep working as they do.
 */
export class DeviceReach1764240000000 implements MigrationInterface {
  name = 'DeviceReach1764240000000';

  async up(q: QueryRunner): Promise<void> {
    const pg = q.connection.options.type === 'postgres';
    await q.query(`ALTER TABLE devices ADD COLUMN connection_set_by_client BOOLEAN NOT NULL DEFAULT ${pg ? 'false' : '0'}`);
    await q.query(`ALTER TABLE devices ADD COLUMN last_error_for_client TEXT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE devices DROP COLUMN last_error_for_client`);
    await q.query(`ALTER TABLE devices DROP COLUMN connection_set_by_client`);
  }
}
