import { Injectable, Optional } from '@nestjs/common';
import { isPlatformAlarmType, metricUnit, type AlarmRuleType } from '@pieng/shared';
import { EntityManager } from 'typeorm';
import { Database } from '../database/database.service';
import { AlarmState, AlarmStateMachine, AlarmStep, initialAlarmState } from './alarm-state-machine';
import { AlarmTransition, AlarmTransitionKind, AlarmTransitionSink } from './alarm-transition';
import { AlarmRule } from './entities/alarm-rule.entity';

/** The columns of a rule the evaluation and the transitions need. */
export type RuleCondition = Pick<
  AlarmRule,
  | 'id'
  | 'clientId'
  | 'deviceId'
  | 'name'
  | 'type'
  | 'metric'
  | 'operator'
  | 'threshold'
  | 'severity'
  | 'deadband'
  | 'onDelaySec'
  | 'offDelaySec'
  | 'latch'
  | 'reAlarmSec'
  | 'staleAfterSec'
  | 'channelIds'
  | 'escalationChannelId'
  | 'escalateAfterMin'
>;

export const RULE_COLUMNS =
  'id, client_id, device_id, name, type, metric, operator, threshold, severity, deadband, on_delay_sec, off_delay_sec, latch, re_alarm_sec, stale_after_sec, channel_ids, escalation_channel_id, escalate_after_min';

export const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));

export function ruleFromRow(r: Record<string, unknown>): RuleCondition {
  return {
    id: Number(r['id']),
    clientId: num(r['client_id']),
    deviceId: num(r['device_id']),
    name: String(r['name']),
    type: (r['type'] as RuleCondition['type']) ?? 'threshold',
    metric: String(r['metric']),
    operator: r['operator'] as RuleCondition['operator'],
    threshold: Number(r['threshold']),
    severity: (r['severity'] as RuleCondition['severity']) ?? 'major',
    deadband: Number(r['deadband'] ?? 0),
    onDelaySec: Number(r['on_delay_sec'] ?? 0),
    offDelaySec: Number(r['off_delay_sec'] ?? 0),
    latch: r['latch'] === true || Number(r['latch']) === 1,
    reAlarmSec: num(r['re_alarm_sec']),
    staleAfterSec: num(r['stale_after_sec']),
    channelIds: JSON.parse(String(r['channel_ids'] ?? '[]')) as number[],
    escalationChannelId: num(r['escalation_channel_id']),
    escalateAfterMin: num(r['escalate_after_min']),
  };
}

/** A rule's state on one device, as stored, with what its open event says. */
export interface StoredAlarmState {
  ruleId: number;
  /** null: a platform rule's one state. */
  deviceId: number | null;
  eventId: number | null;
  state: AlarmState;
  shelvedUntil: number | null;
  /** Whether it is in the table (an update) and whether it changed since it was read. */
  stored: boolean;
  dirty: boolean;
}

/** A transition whose history row is still to be written. */
interface PendingTransition {
  rule: RuleCondition;
  deviceId: number | null;
  eventId: number;
  kind: AlarmTransitionKind;
  at: number;
  value: number | null;
  actor?: string | null;
  comment?: string | null;
  /** Muted by its own event (shelved, chattering); maintenance windows are looked up at flush. */
  muted: boolean;
}

const stateKey = (ruleId: number, deviceId: number | null) => `${ruleId}:${deviceId ?? 'platform'}`;

/** `device_id = ?`, or `device_id IS NULL` for a platform rule (with its parameters). */
export function deviceIs(deviceId: number | null, column = 'device_id'): [string, unknown[]] {
  return deviceId === null ? [`${column} IS NULL`, []] : [`${column} = ?`, [deviceId]];
}

/** The units, comparisons and thresholds a platform rule's transitions and events show. */
const PLATFORM_UNITS: Partial<Record<AlarmRuleType, string>> = { diskSpace: 'MB', forwardingStuck: 'min' };

/** What the event says in words when it is raised. */
function raisedDetails(rule: RuleCondition, value: number): string {
  switch (rule.type) {
    case 'offline':
      return `${rule.name}: no reading for ${Math.round(value)} s`;
    case 'counterReset':
      return `${rule.name}: ${rule.metric} went back to ${value}`;
    case 'diskSpace':
      return `${rule.name}: ${value} MB free in the data directory, below ${rule.threshold} MB`;
    case 'backupFailed':
      return `${rule.name}: the last scheduled backup failed`;
    case 'forwardingStuck':
      return `${rule.name}: the oldest reading to forward has waited ${value} min (${rule.threshold} min allowed)`;
    default:
      return `${rule.name}: ${rule.metric}${rule.type === 'rateOfChange' ? ' per minute' : ''} ${value} ${rule.operator} ${rule.threshold}`;
  }
}

/**
 * Where the alarm model writes: the steps of AlarmStateMachine become changes of `alarm_events`,
 * rows of the append-only `alarm_event_history`, the rules' stored states, and transitions handed
 * to notification delivery (AlarmTransitionSink), all in the caller's transaction.
 *
 * Use one AlarmChanges per transaction: apply the steps of every rule and device, then flush().
 */
@Injectable()
export class AlarmEventStore {
  constructor(
    private readonly db: Database,
    @Optional() private readonly sink?: AlarmTransitionSink,
  ) {}

  begin(m: EntityManager): AlarmChanges {
    return new AlarmChanges(this.db, m, this.sink);
  }
}

export class AlarmChanges {
  private readonly pending: PendingTransition[] = [];
  readonly states = new Map<string, StoredAlarmState>();
  raised = 0;
  cleared = 0;

  constructor(
    private readonly db: Database,
    private readonly m: EntityManager,
    private readonly sink?: AlarmTransitionSink,
  ) {}

  /** The stored states of these rules on these devices, null for platform rules (states not stored start afresh when asked for). */
  async load(ruleIds: number[], deviceIds: Array<number | null>): Promise<void> {
    if (!ruleIds.length || !deviceIds.length) return;
    const ids = deviceIds.filter((id): id is number => id !== null);
    const devices = [
      ...(ids.length ? [`s.device_id IN (${ids.map(() => '?').join(',')})`] : []),
      ...(ids.length < deviceIds.length ? ['s.device_id IS NULL'] : []),
    ];
    const rows = await this.db.query<Record<string, unknown>>(
      `SELECT s.rule_id, s.device_id, s.event_id, s.state, e.acknowledged, e.acknowledged_at, e.shelved_until, e.cleared_at
       FROM alarm_states s LEFT JOIN alarm_events e ON e.id = s.event_id
       WHERE (${devices.join(' OR ')}) AND s.rule_id IN (${ruleIds.map(() => '?').join(',')})`,
      [...ids, ...ruleIds],
      this.m,
    );
    for (const r of rows) {
      const state = { ...initialAlarmState(), ...(JSON.parse(String(r['state'])) as Partial<AlarmState>) };
      const eventId = num(r['event_id']);
      // The event row says whether someone acknowledged it (operators write there) and whether it is still open.
      if (eventId !== null && r['cleared_at'] === null) {
        state.acknowledged = r['acknowledged'] === true || Number(r['acknowledged']) === 1;
        state.acknowledgedAt = num(r['acknowledged_at']);
      } else if (state.active) {
        Object.assign(state, { active: false, acknowledged: false, acknowledgedAt: null, clearingSince: null, latched: false });
      }
      this.states.set(stateKey(Number(r['rule_id']), num(r['device_id'])), {
        ruleId: Number(r['rule_id']),
        deviceId: num(r['device_id']),
        eventId: state.active ? eventId : null,
        state,
        shelvedUntil: num(r['shelved_until']),
        stored: true,
        dirty: false,
      });
    }
  }

  /** The state if it was stored or already touched in this transaction. */
  peek(ruleId: number, deviceId: number | null): StoredAlarmState | undefined {
    return this.states.get(stateKey(ruleId, deviceId));
  }

  stateOf(ruleId: number, deviceId: number | null): StoredAlarmState {
    const key = stateKey(ruleId, deviceId);
    let s = this.states.get(key);
    if (!s) {
      s = { ruleId, deviceId, eventId: null, state: initialAlarmState(), shelvedUntil: null, stored: false, dirty: false };
      this.states.set(key, s);
    }
    return s;
  }

  /**
   * Writes what the machine's steps did to the event of `s` (the state has already moved). `before`
   * is the state's latched flag before the steps, so that a latch taking hold is shown on the event.
   */
  async apply(
    rule: RuleCondition,
    machine: AlarmStateMachine,
    s: StoredAlarmState,
    steps: AlarmStep[],
    wasLatched: boolean,
    who: { actor?: string | null; comment?: string | null } = {},
  ): Promise<void> {
    s.dirty = true;
    this.rules.set(rule.id, rule);
    for (const step of steps) {
      switch (step.kind) {
        case 'raised': {
          const details = raisedDetails(rule, step.value);
          // Lower-case "insert" makes TypeORM's SQLite runner return the RETURNING rows; PostgreSQL returns them anyway.
          // A platform rule's open event is kept unique by its own index (a NULL device is never a conflict of the other).
          const [inserted] = await this.db.query<{ id: number }>(
            'insert into alarm_events (rule_id, device_id, metric, value, raised_at, acknowledged, details, severity, chattering) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ' +
              `ON CONFLICT ${s.deviceId === null ? '(rule_id) WHERE cleared_at IS NULL AND device_id IS NULL' : '(rule_id, device_id) WHERE cleared_at IS NULL'} DO NOTHING RETURNING id`,
            [rule.id, s.deviceId, rule.metric, step.value, step.at, false, details, rule.severity, step.chattering],
            this.m,
          );
          if (!inserted) {
            // An event of this rule and device is open that this state did not know of (written before it): it stands.
            const [device, deviceParams] = deviceIs(s.deviceId);
            const [open] = await this.db.query<{ id: number }>(
              `SELECT id FROM alarm_events WHERE rule_id = ? AND ${device} AND cleared_at IS NULL`,
              [rule.id, ...deviceParams],
              this.m,
            );
            s.eventId = open ? Number(open.id) : null;
            break;
          }
          s.eventId = Number(inserted.id);
          s.shelvedUntil = null;
          this.raised++;
          this.push(rule, s, 'raised', step.at, step.value, step.chattering || machine.chattering(s.state, step.at));
          break;
        }
        case 'cleared': {
          if (s.eventId === null) break;
          await this.db.query('UPDATE alarm_events SET cleared_at = ?, latched = ? WHERE id = ?', [step.at, false, s.eventId], this.m);
          this.cleared++;
          this.push(rule, s, 'cleared', step.at, step.value, machine.chattering(s.state, step.at));
          s.eventId = null;
          break;
        }
        case 'acknowledged': {
          if (s.eventId === null) break;
          await this.db.query(
            'UPDATE alarm_events SET acknowledged = ?, acknowledged_at = ?, acknowledged_by = ?, ack_comment = ? WHERE id = ?',
            [true, step.at, who.actor ?? null, who.comment ?? null, s.eventId],
            this.m,
          );
          this.push(rule, s, 'acknowledged', step.at, null, machine.chattering(s.state, step.at), who);
          break;
        }
        case 'reAlarmed': {
          if (s.eventId === null) break;
          await this.db.query('UPDATE alarm_events SET acknowledged = ?, acknowledged_at = NULL WHERE id = ?', [false, s.eventId], this.m);
          this.push(rule, s, 'reAlarmed', step.at, null, machine.chattering(s.state, step.at));
          break;
        }
      }
    }
    if (s.eventId !== null && s.state.latched !== wasLatched)
      await this.db.query('UPDATE alarm_events SET latched = ? WHERE id = ?', [s.state.latched, s.eventId], this.m);
  }

  /** A transition of an event outside the state machine (shelving, an acknowledgement of a cleared event, a rule change closing its events). */
  note(
    rule: RuleCondition,
    deviceId: number | null,
    eventId: number,
    kind: AlarmTransitionKind,
    at: number,
    muted: boolean,
    who: { actor?: string | null; comment?: string | null } = {},
    value: number | null = null,
  ): void {
    this.pending.push({ rule, deviceId, eventId, kind, at, value, muted, actor: who.actor, comment: who.comment });
  }

  private push(
    rule: RuleCondition,
    s: StoredAlarmState,
    kind: AlarmTransitionKind,
    at: number,
    value: number | null,
    chattering: boolean,
    who: { actor?: string | null; comment?: string | null } = {},
  ): void {
    const shelved = s.shelvedUntil !== null && at < s.shelvedUntil;
    this.note(rule, s.deviceId, s.eventId as number, kind, at, chattering || shelved, who, value);
  }

  /** Stores the states that changed (an idle one is removed), then the history rows and the transitions. */
  async flush(): Promise<void> {
    for (const s of this.states.values()) {
      if (!s.dirty) continue;
      const rule = this.rules.get(s.ruleId);
      if (rule && AlarmStateMachine.isIdle(s.state, rule)) {
        const [device, deviceParams] = deviceIs(s.deviceId);
        if (s.stored) await this.db.query(`DELETE FROM alarm_states WHERE rule_id = ? AND ${device}`, [s.ruleId, ...deviceParams], this.m);
        continue;
      }
      const dueAt = rule ? nextDue(s.state, rule) : null;
      await this.db.query(
        `INSERT INTO alarm_states (rule_id, device_id, event_id, state, due_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT ${s.deviceId === null ? '(rule_id) WHERE device_id IS NULL' : '(rule_id, device_id)'} DO UPDATE SET event_id = excluded.event_id, state = excluded.state, due_at = excluded.due_at`,
        [s.ruleId, s.deviceId, s.eventId, JSON.stringify(s.state), dueAt],
        this.m,
      );
    }
    if (!this.pending.length) return;
    // Platform transitions (no device) have no name to look up and no maintenance window.
    const deviceIds = [...new Set(this.pending.map((p) => p.deviceId).filter((id): id is number => id !== null))];
    const devices = new Map<number, { name: string; siteId: number | null }>();
    const windows: Record<string, unknown>[] = [];
    if (deviceIds.length) {
      for (const d of await this.db.query<Record<string, unknown>>(
        `SELECT id, name, site_id FROM devices WHERE id IN (${deviceIds.map(() => '?').join(',')})`,
        deviceIds,
        this.m,
      )) {
        devices.set(Number(d['id']), { name: String(d['name']), siteId: num(d['site_id']) });
      }
      const siteIds = [...new Set([...devices.values()].map((d) => d.siteId).filter((id): id is number => id !== null))];
      const times = this.pending.map((p) => p.at);
      windows.push(
        ...(await this.db.query<Record<string, unknown>>(
          `SELECT device_id, site_id, from_ts, to_ts FROM alarm_maintenance WHERE to_ts > ? AND from_ts <= ? AND (device_id IN (${deviceIds.map(() => '?').join(',')})${siteIds.length ? ` OR site_id IN (${siteIds.map(() => '?').join(',')})` : ''})`,
          [Math.min(...times), Math.max(...times), ...deviceIds, ...siteIds],
          this.m,
        )),
      );
    }
    const inMaintenance = (deviceId: number | null, at: number) => {
      if (deviceId === null) return false;
      const siteId = devices.get(deviceId)?.siteId ?? null;
      return windows.some(
        (w) => (num(w['device_id']) === deviceId || (siteId !== null && num(w['site_id']) === siteId)) && Number(w['from_ts']) <= at && at < Number(w['to_ts']),
      );
    };
    const transitions: AlarmTransition[] = [];
    for (const p of this.pending) {
      const muted = p.muted || inMaintenance(p.deviceId, p.at);
      const historyId = await this.db.insertReturningId(
        'INSERT INTO alarm_event_history (event_id, kind, at, value, actor, comment, muted) VALUES (?, ?, ?, ?, ?, ?, ?)',
        [p.eventId, p.kind, p.at, p.value, p.actor ?? null, p.comment ?? null, muted],
        this.m,
      );
      const { rule } = p;
      const offline = rule.type === 'offline';
      const platform = isPlatformAlarmType(rule.type);
      const compares = rule.type === 'threshold' || rule.type === 'rateOfChange' || rule.type === 'diskSpace' || rule.type === 'forwardingStuck';
      transitions.push({
        historyId,
        eventId: p.eventId,
        kind: p.kind,
        at: p.at,
        ruleId: rule.id,
        ruleName: rule.name,
        clientId: rule.clientId,
        deviceId: p.deviceId,
        deviceName: p.deviceId === null ? null : (devices.get(p.deviceId)?.name ?? null),
        ruleType: rule.type,
        severity: rule.severity,
        metric: offline || platform ? null : rule.metric,
        value: rule.type === 'backupFailed' ? null : p.value,
        unit: offline ? 's' : platform ? (PLATFORM_UNITS[rule.type] ?? null) : (metricUnit(rule.metric) ?? null),
        operator: compares ? rule.operator : null,
        threshold: compares ? rule.threshold : rule.type === 'offline' ? rule.staleAfterSec : null,
        channelIds: rule.channelIds,
        escalationChannelId: rule.escalationChannelId,
        escalateAfterMin: rule.escalateAfterMin,
        muted,
        ...(p.kind === 'acknowledged' && { by: p.actor ?? null, comment: p.comment ?? null }),
      });
    }
    this.pending.length = 0;
    await this.sink?.enqueue(this.m, transitions);
  }

  /** The rules whose states are in play (for isIdle and due times). */
  readonly rules = new Map<number, RuleCondition>();
}

/** When the timer must look at a state next: an off-delay running out, a re-alarm, the end of a chattering spell. */
export function nextDue(s: AlarmState, rule: RuleCondition): number | null {
  const due: number[] = [];
  if (s.active && s.clearingSince !== null && !s.latched) due.push(s.clearingSince + rule.offDelaySec * 1000);
  if (s.active && s.acknowledged && !s.latched && s.acknowledgedAt !== null && (rule.reAlarmSec ?? 0) > 0)
    due.push(s.acknowledgedAt + (rule.reAlarmSec as number) * 1000);
  if (s.quietAt !== null) due.push(s.quietAt);
  return due.length ? Math.min(...due) : null;
}
