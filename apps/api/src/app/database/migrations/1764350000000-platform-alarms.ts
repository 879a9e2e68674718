import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Platform alarms (issue 15): rules of the platform staff about the plant server itself (disk space,
 * a failed scheduled backup, forwarding stuck), which belong to no client and watch no device.
 * - `alarm_rules.client_id` may be NULL (a platform rule).
 * - `alarm_events.device_id` and `alarm_states.device_id` may be NULL (the platform rule's one event
 *   and state). At most one open event and one state per platform rule, by partial unique indexes
 *   beside those of (rule, device); `alarm_states` keeps (rule_id, device_id) unique by an index
 *   instead of its primary key, which may not hold a NULL.
 * - `backup_status`: how the last scheduled backup went (the `backupFailed` rule reads it), kept in
 *   the database so that a restart does not forget a failure.
 *
 * SQLite cannot drop a NOT NULL: the three tables are rebuilt (rows, ids and AUTOINCREMENT counters
 * kept; indexes and triggers, the history's append-only one too, made again). TypeORM runs
 * migrations with foreign keys off, so dropping the old tables cascades nothing.
 */
export class PlatformAlarms1764350000000 implements MigrationInterface {
  name = 'PlatformAlarms1764350000000';

  async up(q: QueryRunner): Promise<void> {
    const pg = q.connection.options.type === 'postgres';
    if (pg) {
      await q.query(`ALTER TABLE alarm_rules ALTER COLUMN client_id DROP NOT NULL`);
      await q.query(`ALTER TABLE alarm_events ALTER COLUMN device_id DROP NOT NULL`);
      await q.query(`ALTER TABLE alarm_states DROP CONSTRAINT alarm_states_pkey`);
      await q.query(`ALTER TABLE alarm_states ALTER COLUMN device_id DROP NOT NULL`);
    } else {
      await rebuild(q, 'alarm_rules', ALARM_RULES(`client_id INTEGER NULL REFERENCES clients(id)`), [
        `CREATE INDEX ix_alarm_rules_client ON alarm_rules (client_id)`,
        ...['insert', 'update', 'delete'].map(
          (e) =>
            `CREATE TRIGGER alarm_rules_version_${e} AFTER ${e.toUpperCase()} ON alarm_rules BEGIN UPDATE revisions SET value = value + 1 WHERE name = 'alarm-rules'; END`,
        ),
      ]);
      await rebuild(q, 'alarm_events', ALARM_EVENTS(`device_id INTEGER NULL REFERENCES devices(id)`), [
        `CREATE UNIQUE INDEX ux_alarm_events_active ON alarm_events (rule_id, device_id) WHERE cleared_at IS NULL`,
        `CREATE INDEX ix_alarm_events_device ON alarm_events (device_id, raised_at)`,
        `CREATE INDEX ix_alarm_events_shelved ON alarm_events (shelved_until) WHERE shelved_until IS NOT NULL`,
      ]);
      await rebuild(q, 'alarm_states', ALARM_STATES(`device_id INTEGER NULL REFERENCES devices(id) ON DELETE CASCADE`, ''), [
        `CREATE INDEX ix_alarm_states_device ON alarm_states (device_id)`,
        `CREATE INDEX ix_alarm_states_due ON alarm_states (due_at) WHERE due_at IS NOT NULL`,
      ]);
    }
    await q.query(`CREATE UNIQUE INDEX ux_alarm_states_rule_device ON alarm_states (rule_id, device_id)`);
    await q.query(`CREATE UNIQUE INDEX ux_alarm_states_platform ON alarm_states (rule_id) WHERE device_id IS NULL`);
    await q.query(`CREATE UNIQUE INDEX ux_alarm_events_platform_active ON alarm_events (rule_id) WHERE cleared_at IS NULL AND device_id IS NULL`);
    await q.query(`CREATE INDEX ix_alarm_rules_platform ON alarm_rules (type) WHERE client_id IS NULL`);

    await q.query(`CREATE TABLE backup_status (
      name VARCHAR(32) PRIMARY KEY,
      at BIGINT NOT NULL,
      ok ${pg ? 'BOOLEAN' : 'INTEGER'} NOT NULL,
      file TEXT NULL,
      error TEXT NULL)`);
  }

  async down(q: QueryRunner): Promise<void> {
    const pg = q.connection.options.type === 'postgres';
    await q.query(`DROP TABLE backup_status`);
    // Platform rules (their events, states and history with them) cannot live in the older schema.
    await q.query(`DELETE FROM alarm_rules WHERE client_id IS NULL`);
    await q.query(`DROP INDEX ix_alarm_rules_platform`);
    await q.query(`DROP INDEX ux_alarm_events_platform_active`);
    await q.query(`DROP INDEX ux_alarm_states_platform`);
    await q.query(`DROP INDEX ux_alarm_states_rule_device`);
    if (pg) {
      await q.query(`DELETE FROM alarm_events WHERE device_id IS NULL`);
      await q.query(`DELETE FROM alarm_states WHERE device_id IS NULL`);
      await q.query(`ALTER TABLE alarm_states ALTER COLUMN device_id SET NOT NULL`);
      await q.query(`ALTER TABLE alarm_states ADD PRIMARY KEY (rule_id, device_id)`);
      await q.query(`ALTER TABLE alarm_events ALTER COLUMN device_id SET NOT NULL`);
      await q.query(`ALTER TABLE alarm_rules ALTER COLUMN client_id SET NOT NULL`);
      return;
    }
    // Foreign keys are off: the rules' delete above cascaded nothing.
    await q.query(`DELETE FROM alarm_event_history WHERE event_id IN (SELECT id FROM alarm_events WHERE device_id IS NULL)`);
    await q.query(`DELETE FROM alarm_states WHERE device_id IS NULL`);
    await q.query(`DELETE FROM alarm_events WHERE device_id IS NULL`);
    await rebuild(
      q,
      'alarm_states',
      ALARM_STATES(`device_id INTEGER NOT NULL REFERENCES devices(id) ON DELETE CASCADE`, ',\n      PRIMARY KEY (rule_id, device_id)'),
      [`CREATE INDEX ix_alarm_states_device ON alarm_states (device_id)`, `CREATE INDEX ix_alarm_states_due ON alarm_states (due_at) WHERE due_at IS NOT NULL`],
    );
    await rebuild(q, 'alarm_events', ALARM_EVENTS(`device_id INTEGER NOT NULL REFERENCES devices(id)`), [
      `CREATE UNIQUE INDEX ux_alarm_events_active ON alarm_events (rule_id, device_id) WHERE cleared_at IS NULL`,
      `CREATE INDEX ix_alarm_events_device ON alarm_events (device_id, raised_at)`,
      `CREATE INDEX ix_alarm_events_shelved ON alarm_events (shelved_until) WHERE shelved_until IS NOT NULL`,
    ]);
    await rebuild(q, 'alarm_rules', ALARM_RULES(`client_id INTEGER NOT NULL REFERENCES clients(id)`), [
      `CREATE INDEX ix_alarm_rules_client ON alarm_rules (client_id)`,
      ...['insert', 'update', 'delete'].map(
        (e) =>
          `CREATE TRIGGER alarm_rules_version_${e} AFTER ${e.toUpperCase()} ON alarm_rules BEGIN UPDATE revisions SET value = value + 1 WHERE name = 'alarm-rules'; END`,
      ),
    ]);
  }
}

/** The SQLite tables as earlier migrations left them, with the column that changes given. */
const ALARM_RULES = (clientId: string) => `(
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      ${clientId},
      device_id INTEGER NULL REFERENCES devices(id),
      name VARCHAR(200) NOT NULL,
      metric VARCHAR(64) NOT NULL,
      operator VARCHAR(2) NOT NULL,
      threshold REAL NOT NULL,
      enabled BOOLEAN NOT NULL DEFAULT 1,
      created_at BIGINT NOT NULL,
      type VARCHAR(16) NOT NULL DEFAULT 'threshold',
      severity VARCHAR(8) NOT NULL DEFAULT 'major',
      deadband REAL NOT NULL DEFAULT 0,
      on_delay_sec INTEGER NOT NULL DEFAULT 0,
      off_delay_sec INTEGER NOT NULL DEFAULT 0,
      latch INTEGER NOT NULL DEFAULT 0,
      re_alarm_sec INTEGER NULL,
      stale_after_sec INTEGER NULL,
      channel_ids TEXT NOT NULL DEFAULT '[]',
      escalation_channel_id INTEGER NULL,
      escalate_after_min INTEGER NULL)`;

const ALARM_EVENTS = (deviceId: string) => `(
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      rule_id INTEGER NOT NULL REFERENCES alarm_rules(id) ON DELETE CASCADE,
      ${deviceId},
      metric VARCHAR(64) NOT NULL,
      value REAL NOT NULL,
      raised_at BIGINT NOT NULL,
      cleared_at BIGINT NULL,
      acknowledged BOOLEAN NOT NULL DEFAULT 0,
      acknowledged_at BIGINT NULL,
      details TEXT NULL,
      severity VARCHAR(8) NOT NULL DEFAULT 'major',
      acknowledged_by VARCHAR(320) NULL,
      ack_comment TEXT NULL,
      shelved_until BIGINT NULL,
      shelve_reason TEXT NULL,
      chattering INTEGER NOT NULL DEFAULT 0,
      latched INTEGER NOT NULL DEFAULT 0)`;

const ALARM_STATES = (deviceId: string, key: string) => `(
      rule_id INTEGER NOT NULL REFERENCES alarm_rules(id) ON DELETE CASCADE,
      ${deviceId},
      event_id INTEGER NULL REFERENCES alarm_events(id) ON DELETE SET NULL,
      state TEXT NOT NULL,
      due_at BIGINT NULL${key})`;

/**
 * SQLite's way to change a column's constraints: a new table, the rows copied (same ids), the old one
 * dropped and the new one renamed; its AUTOINCREMENT counter goes on from where the old one was, so
 * that no id is handed out twice (notifications and deliveries keep event ids).
 */
async function rebuild(q: QueryRunner, table: string, columns: string, after: string[]): Promise<void> {
  const [seq] = (await q.query(`SELECT seq FROM sqlite_sequence WHERE name = ?`, [table])) as { seq: number }[];
  const names = ((await q.query(`PRAGMA table_info(${table})`)) as { name: string }[]).map((c) => c.name).join(', ');
  await q.query(`CREATE TABLE ${table}_rebuilt ${columns}`);
  await q.query(`INSERT INTO ${table}_rebuilt (${names}) SELECT ${names} FROM ${table}`);
  await q.query(`DROP TABLE ${table}`);
  await q.query(`ALTER TABLE ${table}_rebuilt RENAME TO ${table}`);
  if (seq) {
    await q.query(`UPDATE sqlite_sequence SET seq = MAX(seq, ?) WHERE name = ?`, [seq.seq, table]);
    await q.query(`INSERT INTO sqlite_sequence (name, seq) SELECT ?, ? WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = ?)`, [
      table,
      seq.seq,
      table,
    ]);
  }
  for (const sql of after) await q.query(sql);
}
