import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Clients, devices, measurements, alarm rules and events, on SQLite or PostgreSQL. */
export class InitialSchema1764160000000 implements MigrationInterface {
  name = 'InitialSchema1764160000000';

  async up(q: QueryRunner): Promise<void> {
    const pg = q.connection.options.type === 'postgres';
    const id = pg ? 'SERIAL PRIMARY KEY' : 'INTEGER PRIMARY KEY AUTOINCREMENT';
    const real = pg ? 'DOUBLE PRECISION' : 'REAL';
    const bool = pg ? 'BOOLEAN' : 'BOOLEAN';
    const t = (v: boolean) => (pg ? String(v) : v ? '1' : '0');

    await q.query(`CREATE TABLE clients (
      id ${id},
      name VARCHAR(200) NOT NULL,
      external_id VARCHAR(200) NULL,
      created_at BIGINT NOT NULL)`);
    await q.query(`CREATE UNIQUE INDEX ux_clients_external_id ON clients (external_id) WHERE external_id IS NOT NULL`);

    await q.query(`CREATE TABLE devices (
      id ${id},
      uid VARCHAR(36) NOT NULL,
      client_id INTEGER NOT NULL REFERENCES clients(id),
      name VARCHAR(200) NOT NULL,
      device_type VARCHAR(20) NOT NULL,
      active ${bool} NOT NULL DEFAULT ${t(true)},
      poll_interval_sec INTEGER NOT NULL DEFAULT 30,
      config TEXT NOT NULL,
      last_seen_at BIGINT NULL,
      last_error TEXT NULL,
      consecutive_failures INTEGER NOT NULL DEFAULT 0,
      created_at BIGINT NOT NULL)`);
    await q.query(`CREATE UNIQUE INDEX ux_devices_uid ON devices (uid)`);
    await q.query(`CREATE INDEX ix_devices_client ON devices (client_id)`);

    // The key is the table on SQLite (WITHOUT ROWID); PostgreSQL serves the same key from its primary-key index.
    await q.query(`CREATE TABLE measurements (
      device_id INTEGER NOT NULL,
      metric VARCHAR(64) NOT NULL,
      ts BIGINT NOT NULL,
      value ${real} NOT NULL,
      source VARCHAR(16) NOT NULL,
      PRIMARY KEY (device_id, metric, ts))${pg ? '' : ' WITHOUT ROWID'}`);

    await q.query(`CREATE TABLE alarm_rules (
      id ${id},
      client_id INTEGER NOT NULL REFERENCES clients(id),
      device_id INTEGER NULL REFERENCES devices(id),
      name VARCHAR(200) NOT NULL,
      metric VARCHAR(64) NOT NULL,
      operator VARCHAR(2) NOT NULL,
      threshold ${real} NOT NULL,
      enabled ${bool} NOT NULL DEFAULT ${t(true)},
      created_at BIGINT NOT NULL)`);
    await q.query(`CREATE INDEX ix_alarm_rules_client ON alarm_rules (client_id)`);

    await q.query(`CREATE TABLE alarm_events (
      id ${id},
      rule_id INTEGER NOT NULL REFERENCES alarm_rules(id) ON DELETE CASCADE,
      device_id INTEGER NOT NULL REFERENCES devices(id),
      metric VARCHAR(64) NOT NULL,
      value ${real} NOT NULL,
      raised_at BIGINT NOT NULL,
      cleared_at BIGINT NULL,
      acknowledged ${bool} NOT NULL DEFAULT ${t(false)},
      acknowledged_at BIGINT NULL,
      details TEXT NULL)`);
    // At most one active event per rule and device, whatever the application does.
    await q.query(`CREATE UNIQUE INDEX ux_alarm_events_active ON alarm_events (rule_id, device_id) WHERE cleared_at IS NULL`);
    await q.query(`CREATE INDEX ix_alarm_events_device ON alarm_events (device_id, raised_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['alarm_events', 'alarm_rules', 'measurements', 'devices', 'clients']) {
      await q.query(`DROP TABLE ${table}`);
    }
  }
}
