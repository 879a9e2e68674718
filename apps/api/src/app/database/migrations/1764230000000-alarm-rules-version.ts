import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A version counter for the alarm rules (the `alarm-rules` row of `revisions`, the table of
 * counters other instances watch), bumped by triggers in the same transaction as every
 * insert, update or delete of a rule, whichever path writes it (the rules API, a device or client
 * deleted with its rules). Each instance's evaluator reads it once per ingest batch and reloads its
 * cached rules when it has moved, so a rule changed through one instance applies on every other
 * from their next batch on.
 */
export class AlarmRulesVersion1764230000000 implements MigrationInterface {
  name = 'AlarmRulesVersion1764230000000';

  async up(q: QueryRunner): Promise<void> {
    const pg = q.connection.options.type === 'postgres';
    await q.query(`INSERT INTO revisions (name, value) VALUES ('alarm-rules', 0)`);
    const bump = `UPDATE revisions SET value = value + 1 WHERE name = 'alarm-rules'`;
    if (pg) {
      await q.query(`CREATE FUNCTION bump_alarm_rules_version() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN ${bump}; RETURN NULL; END $$`);
      // Once per statement, after it has locked the rows it changes: the counter is always the last
      // lock a rule change takes, so two changes (a device deleted with its rules, a rule edited) never wait on each other in a cycle.
      await q.query(
        `CREATE TRIGGER alarm_rules_version AFTER INSERT OR UPDATE OR DELETE ON alarm_rules FOR EACH STATEMENT EXECUTE FUNCTION bump_alarm_rules_version()`,
      );
      return;
    }
    for (const event of ['INSERT', 'UPDATE', 'DELETE']) {
      await q.query(`CREATE TRIGGER alarm_rules_version_${event.toLowerCase()} AFTER ${event} ON alarm_rules BEGIN ${bump}; END`);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    if (q.connection.options.type === 'postgres') {
      await q.query(`DROP TRIGGER alarm_rules_version ON alarm_rules`);
      await q.query(`DROP FUNCTION bump_alarm_rules_version()`);
    } else {
      for (const event of ['insert', 'update', 'delete']) await q.query(`DROP TRIGGER alarm_rules_version_${event}`);
    }
    await q.query(`DELETE FROM revisions WHERE name = 'alarm-rules'`);
  }
}
