import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { Database } from '../database/database.service';
import { AlarmsLease } from '../leases/alarms-lease';
import { AlarmEventStore, num, RULE_COLUMNS, RuleCondition, ruleFromRow } from './alarm-event-store';
import { AlarmState, AlarmStateMachine, AlarmStep } from './alarm-state-machine';
import { settledWithin } from '../common/settled-within';

/** How long shutdown waits for a round in progress. */
const SHUTDOWN_WAIT_MS = 5_000;

/** How often the timer looks: offline alarms and off-delays are late by at most this much. */
export const ALARM_TIMER_PERIOD_MS = 5_000;


/**
 * What happens without a reading: a device falling silent (offline rules), an off-delay running out
 * after the readings stopped, a re-alarm falling due, a chattering spell going quiet, a shelf expiring.
 * With several instances on one database, only the holder of the `alarms` lease (AlarmsLease) runs it.
 *
 * Each rule and device is one transaction that locks the device row (PostgreSQL) before the rule, as
 * an ingest batch does: the timer and a batch of the same device take turns and never deadlock.
 */
@Injectable()
export class AlarmTimer implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('AlarmTimer');
  private interval?: NodeJS.Timeout;
  private running?: Promise<unknown>;

  constructor(
    private readonly db: Database,
    private readonly lease: AlarmsLease,
    private readonly store: AlarmEventStore,
  ) {}

  onApplicationBootstrap(): void {
    this.interval = setInterval(() => {
      this.running ??= this.tick(Date.now())
        .catch((err: Error) => this.logger.warn(`Alarm timer failed: ${err.message}`))
        .finally(() => (this.running = undefined));
    }, ALARM_TIMER_PERIOD_MS);
    this.interval.unref();
  }

  /** Stopped before the lease is handed back (AlarmsLease, just before shutdown). */
  async onModuleDestroy(): Promise<void> {
    clearInterval(this.interval);
    await settledWithin(this.running, SHUTDOWN_WAIT_MS);
  }

  /** One round at `now` (epoch ms): null when another instance holds the lease, else the transitions written. */
  async tick(now: number): Promise<number | null> {
    if (!(await this.lease.holdNow())) return null;
    let transitions = 0;

    // Devices fallen silent: every enabled offline rule against its devices' last readings, in one read.
    // Those already alarmed (an open event in their state) have nothing new to say until a reading comes.
    const silent = await this.db.query<{ rule_id: number | string; device_id: number | string }>(
      `SELECT r.id AS rule_id, d.id AS device_id FROM alarm_rules r
         JOIN devices d ON d.client_id = r.client_id AND (r.device_id IS NULL OR d.id = r.device_id)
        WHERE r.type = 'offline' AND r.enabled = ? AND d.active = ? AND d.last_seen_at IS NOT NULL AND d.last_seen_at + r.stale_after_sec * 1000 <= ?
          AND NOT EXISTS (SELECT 1 FROM alarm_states s WHERE s.rule_id = r.id AND s.device_id = d.id AND s.event_id IS NOT NULL)
        ORDER BY r.id, d.id`,
      [true, true, now],
    );
    for (const d of silent) transitions += await this.advance(Number(d.rule_id), Number(d.device_id), (machine, s, lastSeen) => machine.tick(s, now, lastSeen));

    // States with a deadline passed (off-delay, re-alarm, end of chattering).
    const due = await this.db.query<{ rule_id: number; device_id: number }>('SELECT rule_id, device_id FROM alarm_states WHERE due_at <= ? ORDER BY due_at LIMIT 1000', [now]);
    for (const d of due) transitions += await this.advance(Number(d.rule_id), Number(d.device_id), (machine, s, lastSeen) => machine.tick(s, now, lastSeen));

    // Shelves that have run out.
    const shelved = await this.db.query<{ id: number }>('SELECT id FROM alarm_events WHERE shelved_until IS NOT NULL AND shelved_until <= ? ORDER BY id LIMIT 1000', [now]);
    for (const e of shelved) transitions += await this.unshelveExpired(Number(e.id), now);
    return transitions;
  }

  /** One rule on one device, moved by the clock, in a transaction of its own. Returns the transitions written. */
  private advance(ruleId: number, deviceId: number, move: (machine: AlarmStateMachine, s: AlarmState, lastSeen: number | null) => AlarmStep[]): Promise<number> {
    return this.db.transaction(async (m) => {
      const found = await this.lock(m, ruleId, deviceId);
      if (!found) return 0;
      const { rule, lastSeen } = found;
      const changes = this.store.begin(m);
      await changes.load([ruleId], [deviceId]);
      const s = changes.stateOf(ruleId, deviceId);
      const machine = new AlarmStateMachine(rule);
      const wasLatched = s.state.latched;
      const steps = move(machine, s.state, lastSeen);
      await changes.apply(rule, machine, s, steps, wasLatched);
      await changes.flush();
      return steps.length;
    });
  }

  /** Locks the device (PostgreSQL), then the rule, as ingest batches do; null when either is gone or the rule disabled. */
  private async lock(m: EntityManager, ruleId: number, deviceId: number): Promise<{ rule: RuleCondition; lastSeen: number | null } | null> {
    const pg = this.db.kind === 'postgres';
    const [device] = await this.db.query<{ last_seen_at: number | string | null }>(`SELECT last_seen_at FROM devices WHERE id = ?${pg ? ' FOR UPDATE' : ''}`, [deviceId], m);
    if (!device) return null;
    const [row] = await this.db.query<Record<string, unknown>>(`SELECT ${RULE_COLUMNS} FROM alarm_rules WHERE id = ? AND enabled = ?${pg ? ' FOR SHARE' : ''}`, [ruleId, true], m);
    return row ? { rule: ruleFromRow(row), lastSeen: num(device.last_seen_at) } : null;
  }

  private unshelveExpired(eventId: number, now: number): Promise<number> {
    return this.db.transaction(async (m) => {
      const [e] = await this.db.query<Record<string, unknown>>('SELECT rule_id, device_id, shelved_until FROM alarm_events WHERE id = ?', [eventId], m);
      if (!e || e['shelved_until'] === null || Number(e['shelved_until']) > now) return 0;
      const found = await this.lock(m, Number(e['rule_id']), Number(e['device_id']));
      const changed = await this.db.execute('UPDATE alarm_events SET shelved_until = NULL WHERE id = ? AND shelved_until <= ?', [eventId, now], m);
      if (!changed || !found) return 0;
      const changes = this.store.begin(m);
      changes.note(found.rule, Number(e['device_id']), eventId, 'unshelved', Number(e['shelved_until']), false);
      await changes.flush();
      return 1;
    });
  }
}
