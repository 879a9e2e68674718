import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The alarm model of issue 15 (ISA-18.2 / OPC UA Part 9 scaled to a plant server).
 * - `alarm_rules`: the rule's type, severity, deadband, on/off delays, latch, re-alarm, the offline
 *   staleness, and the notification channels it names (JSON array of ids) with its escalation channel.
 * - `alarm_events`: severity at the time, who acknowledged it and why, shelving, chattering.
 * - `alarm_event_history`: every transition of an event, append-only (an UPDATE is refused by a
 *   trigger; rows go only with their event, by the foreign key).
 * - `alarm_states`: where a rule stands for one device between readings (a pending on-delay, a
 *   clearing off-delay, the last value for rates and counters, recent raises for chattering). A row
 *   exists only while there is something to remember, so a rule that never fires writes nothing;
 *   `due_at` is when the alarm timer must look at it next (an off-delay, a re-alarm, the end of chattering).
 * - `alarm_maintenance`: windows during which a device's or a site's transitions are kept but muted.
 */
export class AlarmModel1764300000000 implements MigrationInterface {
  name = 'AlarmModel1764300000000';

  async up(q: QueryRunner): Promise<void> {
    const pg = q.connection.options.type === 'postgres';
    const bool = pg ? 'BOOLEAN' : 'INTEGER';
    const no = pg ? 'FALSE' : '0';
    const real = pg ? 'DOUBLE PRECISION' : 'REAL';
    const id = pg ? 'SERIAL PRIMARY KEY' : 'INTEGER PRIMARY KEY AUTOINCREMENT';

    await q.query(`ALTER TABLE alarm_rules ADD COLUMN type VARCHAR(16) NOT NULL DEFAULT 'threshold'`);
    await q.query(`ALTER TABLE alarm_rules ADD COLUMN severity VARCHAR(8) NOT NULL DEFAULT 'major'`);
    await q.query(`ALTER TABLE alarm_rules ADD COLUMN deadband ${real} NOT NULL DEFAULT 0`);
    await q.query(`ALTER TABLE alarm_rules ADD COLUMN on_delay_sec INTEGER NOT NULL DEFAULT 0`);
    await q.query(`ALTER TABLE alarm_rules ADD COLUMN off_delay_sec INTEGER NOT NULL DEFAULT 0`);
    await q.query(`ALTER TABLE alarm_rules ADD COLUMN latch ${bool} NOT NULL DEFAULT ${no}`);
    await q.query(`ALTER TABLE alarm_rules ADD COLUMN re_alarm_sec INTEGER NULL`);
    await q.query(`ALTER TABLE alarm_rules ADD COLUMN stale_after_sec INTEGER NULL`);
    await q.query(`ALTER TABLE alarm_rules ADD COLUMN channel_ids TEXT NOT NULL DEFAULT '[]'`);
    await q.query(`ALTER TABLE alarm_rules ADD COLUMN escalation_channel_id INTEGER NULL`);
    await q.query(`ALTER TABLE alarm_rules ADD COLUMN escalate_after_min INTEGER NULL`);

    await q.query(`ALTER TABLE alarm_events ADD COLUMN severity VARCHAR(8) NOT NULL DEFAULT 'major'`);
    await q.query(`ALTER TABLE alarm_events ADD COLUMN acknowledged_by VARCHAR(320) NULL`);
    await q.query(`ALTER TABLE alarm_events ADD COLUMN ack_comment TEXT NULL`);
    await q.query(`ALTER TABLE alarm_events ADD COLUMN shelved_until BIGINT NULL`);
    await q.query(`ALTER TABLE alarm_events ADD COLUMN shelve_reason TEXT NULL`);
    await q.query(`ALTER TABLE alarm_events ADD COLUMN chattering ${bool} NOT NULL DEFAULT ${no}`);
    await q.query(`ALTER TABLE alarm_events ADD COLUMN latched ${bool} NOT NULL DEFAULT ${no}`);
    await q.query(`CREATE INDEX ix_alarm_events_shelved ON alarm_events (shelved_until) WHERE shelved_until IS NOT NULL`);

    await q.query(`CREATE TABLE alarm_event_history (
      id ${id},
      event_id INTEGER NOT NULL REFERENCES alarm_events(id) ON DELETE CASCADE,
      kind VARCHAR(16) NOT NULL,
      at BIGINT NOT NULL,
      value ${real} NULL,
      actor VARCHAR(320) NULL,
      comment TEXT NULL,
      muted ${bool} NOT NULL DEFAULT ${no})`);
    await q.query(`CREATE INDEX ix_alarm_event_history_event ON alarm_event_history (event_id, id)`);
    if (pg) {
      await q.query(
        `CREATE FUNCTION refuse_alarm_history_update() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'alarm_event_history is append-only'; END $$`,
      );
      await q.query(
        `CREATE TRIGGER alarm_event_history_append_only BEFORE UPDATE ON alarm_event_history FOR EACH ROW EXECUTE FUNCTION refuse_alarm_history_update()`,
      );
    } else {
      await q.query(
        `CREATE TRIGGER alarm_event_history_append_only BEFORE UPDATE ON alarm_event_history BEGIN SELECT RAISE(ABORT, 'alarm_event_history is append-only'); END`,
      );
    }

    await q.query(`CREATE TABLE alarm_states (
      rule_id INTEGER NOT NULL REFERENCES alarm_rules(id) ON DELETE CASCADE,
      device_id INTEGER NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
      event_id INTEGER NULL REFERENCES alarm_events(id) ON DELETE SET NULL,
      state TEXT NOT NULL,
      due_at BIGINT NULL,
      PRIMARY KEY (rule_id, device_id))`);
    await q.query(`CREATE INDEX ix_alarm_states_device ON alarm_states (device_id)`);
    await q.query(`CREATE INDEX ix_alarm_states_due ON alarm_states (due_at) WHERE due_at IS NOT NULL`);
    // Events open before this migration go on from where they stand: active, acknowledged or not.
    const state = (ack: string) =>
      `'{"active":true,"acknowledged":' || ${ack} || ',"acknowledgedAt":' || COALESCE(CAST(acknowledged_at AS TEXT), 'null') || ',"pendingSince":null,"clearingSince":null,"latched":false,"lastTs":null,"lastValue":null,"raises":[],"quietAt":null}'`;
    await q.query(
      `INSERT INTO alarm_states (rule_id, device_id, event_id, state) SELECT rule_id, device_id, id, ${state(`CASE WHEN acknowledged = ${pg ? 'TRUE' : '1'} THEN 'true' ELSE 'false' END`)} FROM alarm_events WHERE cleared_at IS NULL`,
    );

    await q.query(`CREATE TABLE alarm_maintenance (
      id ${id},
      client_id INTEGER NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
      device_id INTEGER NULL REFERENCES devices(id) ON DELETE CASCADE,
      site_id INTEGER NULL REFERENCES sites(id) ON DELETE CASCADE,
      from_ts BIGINT NOT NULL,
      to_ts BIGINT NOT NULL,
      reason TEXT NOT NULL,
      created_by VARCHAR(320) NULL,
      created_at BIGINT NOT NULL)`);
    await q.query(`CREATE INDEX ix_alarm_maintenance_device ON alarm_maintenance (device_id, to_ts)`);
    await q.query(`CREATE INDEX ix_alarm_maintenance_site ON alarm_maintenance (site_id, to_ts)`);
  }

  async down(q: QueryRunner): Promise<void> {
    const pg = q.connection.options.type === 'postgres';
    await q.query(`DROP TABLE alarm_maintenance`);
    await q.query(`DROP TABLE alarm_states`);
    await q.query(`DROP TABLE alarm_event_history`);
    if (pg) await q.query(`DROP FUNCTION refuse_alarm_history_update()`);
    await q.query(`DROP INDEX ix_alarm_events_shelved`);
    for (const column of ['latched', 'chattering', 'shelve_reason', 'shelved_until', 'ack_comment', 'acknowledged_by', 'severity']) {
      await q.query(`ALTER TABLE alarm_events DROP COLUMN ${column}`);
    }
    for (const column of [
      'escalate_after_min',
      'escalation_channel_id',
      'channel_ids',
      'stale_after_sec',
      're_alarm_sec',
      'latch',
      'off_delay_sec',
      'on_delay_sec',
      'deadband',
      'severity',
      'type',
    ]) {
      await q.query(`ALTER TABLE alarm_rules DROP COLUMN ${column}`);
    }
  }
}
