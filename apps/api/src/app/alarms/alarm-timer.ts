import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { isPlatformAlarmType, type PlatformAlarmType } from '@pieng/shared';
import { EntityManager } from 'typeorm';
import { Database } from '../database/database.service';
import { AlarmsLease } from '../leases/alarms-lease';
import { AlarmEventStore, num, RULE_COLUMNS, RuleCondition, ruleFromRow } from './alarm-event-store';
import { AlarmState, AlarmStateMachine, AlarmStep } from './alarm-state-machine';
import { settledWithin } from '../common/settled-within';
import { PlatformConditions } from './platform-conditions';

/** How long shutdown waits for a round in progress. */
const SHUTDOWN_WAIT_MS = 5_000;

/** How often the timer looks: offline alarms and off-delays are late by at most this much. */
export const ALARM_TIMER_PERIOD_MS = 5_000;

/** How often platform rules are measured (disk space, the last backup, the forwarding outbox): a platform alarm is late by at most this much. */
export const PLATFORM_CHECK_PERIOD_MS = 30_000;

/**
 * What happens without a reading: a device falling silent (offline rules), an off-delay running out
 * after the readings stopped, a re-alarm falling due, a chattering spell going quiet, a shelf expiring.
 * With several instances on one database, only the holder of the `alarms` lease (AlarmsLease) runs it.
 * It also measures what the platform rules watch (PlatformConditions), every PLATFORM_CHECK_PERIOD_MS,
 * and feeds each rule's value to its state machine as a reading: delays, deadband, latch, chattering
 * and notifications work for them as for a device's.
 *
 * Each rule and device is one transaction that locks the device row (PostgreSQL) before the rule, as
 * an ingest batch does: the timer and a batch of the same device take turns and never deadlock.
 */
@Injectable()
export class AlarmTimer implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('AlarmTimer');
  private interval?: NodeJS.Timeout;
  private running?: Promise<unknown>;
  /** When the platform rules are next measured (epoch ms, on the clocks tick() is given). */
  private platformDueAt = 0;

  constructor(
    private readonly db: Database,
    private readonly lease: AlarmsLease,
    private readonly store: AlarmEventStore,
    private readonly platform: PlatformConditions,
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
    const due = await this.db.query<{ rule_id: number; device_id: number | null }>(
      'SELECT rule_id, device_id FROM alarm_states WHERE due_at <= ? ORDER BY due_at LIMIT 1000',
      [now],
    );
    for (const d of due) transitions += await this.advance(Number(d.rule_id), num(d.device_id), (machine, s, lastSeen) => machine.tick(s, now, lastSeen));

    // Shelves that have run out.
    const shelved = await this.db.query<{ id: number }>(
      'SELECT id FROM alarm_events WHERE shelved_until IS NOT NULL AND shelved_until <= ? ORDER BY id LIMIT 1000',
      [now],
    );
    for (const e of shelved) transitions += await this.unshelveExpired(Number(e.id), now);

    if (now >= this.platformDueAt) transitions += (await this.checkPlatform(now)) ?? 0;
    return transitions;
  }

  /**
   * Measures what the enabled platform rules watch, once per type, and observes each rule's value at
   * `now` (null when another instance holds the lease, else the transitions written). tick() calls it
   * every PLATFORM_CHECK_PERIOD_MS; a round at `now` puts the next one off until now + that period.
   */
  async checkPlatform(now: number): Promise<number | null> {
    if (!(await this.lease.holdNow())) return null;
    this.platformDueAt = Math.max(this.platformDueAt, now + PLATFORM_CHECK_PERIOD_MS);
    const rules = await this.db.query<{ id: number | string; type: string }>(
      'SELECT id, type FROM alarm_rules WHERE client_id IS NULL AND enabled = ? ORDER BY id',
      [true],
    );
    const values = new Map<PlatformAlarmType, number | null>();
    let transitions = 0;
    for (const r of rules) {
      if (!isPlatformAlarmType(r.type)) continue;
      if (!values.has(r.type)) {
        // A condition that cannot be measured (DATA_DIR gone, say) leaves its rules as they stand.
        const value = await this.platform.measure(r.type, now).catch((err: Error) => {
          this.logger.warn(`Could not measure ${r.type} for platform alarms: ${err.message}`);
          return null;
        });
        values.set(r.type, value);
      }
      const value = values.get(r.type);
      if (value === null || value === undefined) continue;
      transitions += await this.advance(Number(r.id), null, (machine, s) => machine.observe(s, now, value));
    }
    return transitions;
  }

  /** One rule on one device (null: a platform rule), moved by the clock, in a transaction of its own. Returns the transitions written. */
  private advance(
    ruleId: number,
    deviceId: number | null,
    move: (machine: AlarmStateMachine, s: AlarmState, lastSeen: number | null) => AlarmStep[],
  ): Promise<number> {
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

  /**
   * Locks the device (PostgreSQL), then the rule, as ingest batches do; null when either is gone or the
   * rule disabled. A platform rule (no device) is locked for update instead: the timer and an operator
   * acknowledging its event take turns on it (AlarmsService.lockEvent does the same).
   */
  private async lock(m: EntityManager, ruleId: number, deviceId: number | null): Promise<{ rule: RuleCondition; lastSeen: number | null } | null> {
    const pg = this.db.kind === 'postgres';
    let lastSeen: number | null = null;
    if (deviceId !== null) {
      const [device] = await this.db.query<{ last_seen_at: number | string | null }>(
        `SELECT last_seen_at FROM devices WHERE id = ?${pg ? ' FOR UPDATE' : ''}`,
        [deviceId],
        m,
      );
      if (!device) return null;
      lastSeen = num(device.last_seen_at);
    }
    const [row] = await this.db.query<Record<string, unknown>>(
      `SELECT ${RULE_COLUMNS} FROM alarm_rules WHERE id = ? AND enabled = ?${pg ? (deviceId === null ? ' FOR UPDATE' : ' FOR SHARE') : ''}`,
      [ruleId, true],
      m,
    );
    return row ? { rule: ruleFromRow(row), lastSeen } : null;
  }

  private unshelveExpired(eventId: number, now: number): Promise<number> {
    return this.db.transaction(async (m) => {
      const [e] = await this.db.query<Record<string, unknown>>('SELECT rule_id, device_id, shelved_until FROM alarm_events WHERE id = ?', [eventId], m);
      if (!e || e['shelved_until'] === null || Number(e['shelved_until']) > now) return 0;
      const found = await this.lock(m, Number(e['rule_id']), num(e['device_id']));
      const changed = await this.db.execute('UPDATE alarm_events SET shelved_until = NULL WHERE id = ? AND shelved_until <= ?', [eventId, now], m);
      if (!changed || !found) return 0;
      const changes = this.store.begin(m);
      changes.note(found.rule, num(e['device_id']), eventId, 'unshelved', Number(e['shelved_until']), false);
      await changes.flush();
      return 1;
    });
  }
}
