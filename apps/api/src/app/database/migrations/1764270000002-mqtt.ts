import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * MQTT meters. `devices.mqtt_topic` is the root of the topics an mqtt device is read from (unique
 * across the platform: one plug, one device); the device's availability as it announced it
 * (Tasmota LWT and the like), when its last message came, and the payloads it sent that could not
 * be read (how many, the last one and why). `clients.mqtt_topic_prefix`: platform staff may hold a
 * client's mqtt devices to topics under it, so that one client cannot bind another's plug.
 */
export class Mqtt1764270000002 implements MigrationInterface {
  name = 'Mqtt1764270000002';

  async up(q: QueryRunner): Promise<void> {
    const pg = q.connection.options.type === 'postgres';
    const bool = pg ? 'BOOLEAN' : 'INTEGER';
    await q.query(`ALTER TABLE clients ADD COLUMN mqtt_topic_prefix VARCHAR(200) NULL`);
    await q.query(`ALTER TABLE devices ADD COLUMN mqtt_topic VARCHAR(200) NULL`);
    await q.query(`ALTER TABLE devices ADD COLUMN mqtt_online ${bool} NULL`);
    await q.query(`ALTER TABLE devices ADD COLUMN mqtt_last_message_at BIGINT NULL`);
    await q.query(`ALTER TABLE devices ADD COLUMN mqtt_rejected INTEGER NOT NULL DEFAULT 0`);
    await q.query(`ALTER TABLE devices ADD COLUMN last_rejected_payload TEXT NULL`);
    await q.query(`ALTER TABLE devices ADD COLUMN last_rejected_reason TEXT NULL`);
    await q.query(`CREATE UNIQUE INDEX ux_devices_mqtt_topic ON devices (mqtt_topic) WHERE mqtt_topic IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX ux_devices_mqtt_topic`);
    for (const column of ['last_rejected_reason', 'last_rejected_payload', 'mqtt_rejected', 'mqtt_last_message_at', 'mqtt_online', 'mqtt_topic']) {
      await q.query(`ALTER TABLE devices DROP COLUMN ${column}`);
    }
    await q.query(`ALTER TABLE clients DROP COLUMN mqtt_topic_prefix`);
  }
}
