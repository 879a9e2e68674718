import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 11, item 10.
 * - API keys of scope `ingest` become `forward`: until now an ingest key could create devices
 *   through `deviceUid` readings, and the keys in use are those of slave instances that rely on it.
 *   From here on `ingest` only writes readings of existing devices; `forward` may also create them.
 * - `revisions`: one counter per kind of change that other instances must notice. `device-settings` is
 *   raised in the transaction of every device create, edit or delete, so that the poller reloads
 *   its devices when the number moved instead of reading them all every second.
 * - An index on the device type: the poller loads only the Modbus and Tuya devices, however many
 *   devices push their own readings.
 */
export class ForwardKeysDeviceRevision1764220000000 implements MigrationInterface {
  name = 'ForwardKeysDeviceRevision1764220000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`UPDATE api_keys SET scope = 'forward' WHERE scope = 'ingest'`);
    await q.query(`CREATE TABLE revisions (
      name VARCHAR(100) PRIMARY KEY,
      value BIGINT NOT NULL)`);
    await q.query(`INSERT INTO revisions (name, value) VALUES ('device-settings', 0)`);
    await q.query(`CREATE INDEX ix_devices_type ON devices (device_type)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX ix_devices_type`);
    await q.query(`DROP TABLE revisions`);
    await q.query(`UPDATE api_keys SET scope = 'ingest' WHERE scope = 'forward'`);
  }
}
