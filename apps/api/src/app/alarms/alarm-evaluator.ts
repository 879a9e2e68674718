import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { CombinedStatements, Database } from '../database/database.service';
import { conditionHolds } from './alarm-condition';
import { AlarmEventStore, RULE_COLUMNS, RuleCondition, ruleFromRow } from './alarm-event-store';
import { AlarmState, AlarmStateMachine } from './alarm-state-machine';

export type { RuleCondition } from './alarm-event-store';

/** One value just stored, with the owner of its device (rules are per client). */
export interface StoredValue {
  deviceId: number;
  clientId: number;
  metric: string;
  ts: number;
  value: number;
}

export interface AlarmOutcome {
  raised: number;
  cleared: number;
}

const RULES_VERSION = "SELECT value AS version FROM revisions WHERE name = 'alarm-rules'";

/** Offline rules watch every reading of a device (any reading means it is not silent); the others one metric. */
const appliesTo = (rule: RuleCondition, v: StoredValue) =>
  rule.clientId === v.clientId && (rule.type === 'offline' || rule.metric === v.metric) && (rule.deviceId === null || rule.deviceId === v.deviceId);

const NONE: RuleCondition[] = [];

interface RuleIndex {
  byMetric: Map<string, RuleCondition[]>;
  offline: RuleCondition[];
}

/** What of a state tells whether a reading moved it (and it must be stored). */
const fingerprint = (s: AlarmState) =>
  `${s.active}|${s.acknowledged}|${s.pendingSince}|${s.clearingSince}|${s.latched}|${s.lastTs}|${s.raises.length}|${s.quietAt}`;

/**
 * Runs inside the ingest transaction. For each stored value, in reading-time order, the client's
 * enabled rules on that metric (for every device, or for that device) move that rule's state on the
 * device (AlarmStateMachine: delays, deadband, latch, re-alarm, chattering), and what they do is
 * written by AlarmEventStore in the same transaction: events, their history, the transitions for
 * notification. A rule whose condition does not hold and that has no stored state is passed over
 * without a write: rules that never fire cost the ingest a comparison per value.
 *
 * Rules may change through any instance on the database. Each batch reads the rules' version
 * counter (bumped by a trigger with every change, see the AlarmRulesVersion migration) and reloads
 * its cached rules when it has moved; then it reads the rules its values match as they are now,
 * locked against change until the batch commits (PostgreSQL; SQLite writes one transaction at a
 * time). A rule deleted or disabled meanwhile is skipped, never a failed batch, and no event is
 * raised for a rule after its change has committed.
 */
@Injectable()
export class AlarmEvaluator {
  /** Enabled rules per client, as of a version of the counter. */
  private cache?: { version: number; byClient: Map<number, RuleCondition[]> };
  /** The cached lists by metric; gone with the lists when the cache is replaced. */
  private readonly indexes = new WeakMap<RuleCondition[], RuleIndex>();

  constructor(
    private readonly db: Database,
    private readonly store: AlarmEventStore,
  ) {}

  async evaluate(m: EntityManager, values: StoredValue[]): Promise<AlarmOutcome> {
    if (values.length === 0) return { raised: 0, cleared: 0 };
    return this.evaluateWith(m, await this.rulesFor(m, [...new Set(values.map((v) => v.clientId))]), () => values);
  }

  /** The rules' version counter, read with the ingest's other statements (Database.combined), for rulesOf. */
  async readVersion(statements: CombinedStatements): Promise<number> {
    return Number((await statements.value(RULES_VERSION)) ?? 0);
  }

  /** The clients' enabled rules as of that version, for evaluateWith (which builds the values to check only when a client has rules at all). */
  rulesOf(m: EntityManager, clientIds: number[], version: number): Promise<Map<number, RuleCondition[]>> {
    return this.rulesFor(m, clientIds, version);
  }

  /** evaluate(), with the rules rulesOf() read in the same transaction; `values` is called only when a client has a rule. */
  async evaluateWith(m: EntityManager, cached: Map<number, RuleCondition[]>, valuesOf: () => StoredValue[]): Promise<AlarmOutcome> {
    const outcome = { raised: 0, cleared: 0 };
    let anyRule = false;
    for (const rules of cached.values()) anyRule ||= rules.length > 0;
    if (!anyRule) return outcome;
    const values = valuesOf();
    // The rules each value may concern, found by metric (a plant has many rules on few metrics).
    const candidates = new Set<number>();
    let mayAct = false;
    for (const v of values) {
      const index = this.indexOf(cached.get(v.clientId));
      if (!index) continue;
      for (const rule of index.byMetric.get(v.metric) ?? NONE) {
        if (rule.deviceId !== null && rule.deviceId !== v.deviceId) continue;
        candidates.add(rule.id);
        mayAct ||= rule.type !== 'threshold' || conditionHolds(v.value, rule.operator, rule.threshold);
      }
      for (const rule of index.offline) if (rule.deviceId === null || rule.deviceId === v.deviceId) candidates.add(rule.id);
    }
    if (candidates.size === 0) return outcome;
    const deviceIds = [...new Set(values.map((v) => v.deviceId))];
    // The usual case: no rule's condition holds and none of them is in the middle of anything
    // (pending, active, remembering a value): nothing to write, so no rule to lock either.
    if (!mayAct && !(await this.anyState(m, [...candidates], deviceIds))) return outcome;

    const rules = await this.lockRules(m, [...candidates]);
    const locked = new Map<string, RuleCondition[]>();
    const offline: RuleCondition[] = [];
    for (const rule of rules) {
      if (rule.type === 'offline') offline.push(rule);
      else locked.set(rule.metric, [...(locked.get(rule.metric) ?? NONE), rule]);
    }
    const relevant = offline.length ? values.slice() : values.filter((v) => locked.has(v.metric));
    if (relevant.length === 0) return outcome;

    const changes = this.store.begin(m);
    await changes.load(
      rules.map((r) => r.id),
      deviceIds,
    );
    const machines = new Map(rules.map((r) => [r.id, new AlarmStateMachine(r)]));

    relevant.sort((a, b) => a.ts - b.ts);
    // Offline rules: the device's first reading of the batch ends its silence.
    const firstSeen = new Map<number, number>();
    for (const v of relevant) if (!firstSeen.has(v.deviceId)) firstSeen.set(v.deviceId, v.ts);
    for (const v of relevant) {
      const metricRules = locked.get(v.metric) ?? NONE;
      const offlineRules = offline.length && firstSeen.get(v.deviceId) === v.ts ? offline : NONE;
      for (const list of [metricRules, offlineRules]) {
        for (const rule of list) {
          if (!appliesTo(rule, v)) continue;
          const known = changes.peek(rule.id, v.deviceId);
          // The usual case, kept cheap: nothing remembered and the condition does not hold.
          if (!known && rule.type === 'threshold' && !conditionHolds(v.value, rule.operator, rule.threshold)) continue;
          if (!known && rule.type === 'offline') continue;
          const s = known ?? changes.stateOf(rule.id, v.deviceId);
          const before = fingerprint(s.state);
          const wasLatched = s.state.latched;
          const machine = machines.get(rule.id) as AlarmStateMachine;
          const steps = machine.observe(s.state, v.ts, v.value);
          if (steps.length || fingerprint(s.state) !== before) await changes.apply(rule, machine, s, steps, wasLatched);
        }
      }
      // An offline rule is observed once per device and batch.
      if (offlineRules.length) firstSeen.set(v.deviceId, NaN);
    }
    await changes.flush();
    outcome.raised = changes.raised;
    outcome.cleared = changes.cleared;
    return outcome;
  }

  /** Whether any of these rules has a stored state on any of these devices. */
  private async anyState(m: EntityManager, ruleIds: number[], deviceIds: number[]): Promise<boolean> {
    const rows = await this.db.query(
      `SELECT 1 AS found FROM alarm_states WHERE device_id IN (${deviceIds.map(() => '?').join(',')}) AND rule_id IN (${ruleIds.map(() => '?').join(',')}) LIMIT 1`,
      [...deviceIds, ...ruleIds],
      m,
    );
    return rows.length > 0;
  }

  /** A client's cached rules by metric, and its offline rules (built once per cached list). */
  private indexOf(rules: RuleCondition[] | undefined): RuleIndex | undefined {
    if (!rules || rules.length === 0) return undefined;
    let index = this.indexes.get(rules);
    if (!index) {
      index = { byMetric: new Map(), offline: [] };
      for (const rule of rules) {
        if (rule.type === 'offline') index.offline.push(rule);
        else index.byMetric.set(rule.metric, [...(index.byMetric.get(rule.metric) ?? NONE), rule]);
      }
      this.indexes.set(rules, index);
    }
    return index;
  }

  /** The clients' enabled rules from the cache, reloaded for the clients it lacks and all of it when the version has moved. */
  private async rulesFor(m: EntityManager, clientIds: number[], knownVersion?: number): Promise<Map<number, RuleCondition[]>> {
    const [row] = knownVersion === undefined ? await this.db.query<{ version: number | string }>(RULES_VERSION, [], m) : [{ version: knownVersion }];
    const version = Number(row?.version ?? 0);
    // Batches run concurrently on PostgreSQL: one that read an older version than the cache's uses the newer rules.
    if (!this.cache || version > this.cache.version) this.cache = { version, byClient: new Map() };
    const cache = this.cache;
    const missing = clientIds.filter((id) => !cache.byClient.has(id));
    if (missing.length) {
      const loaded = await this.readRules(m, 'client_id', missing);
      for (const id of missing)
        cache.byClient.set(
          id,
          loaded.filter((r) => r.clientId === id),
        );
    }
    return new Map(clientIds.map((id) => [id, cache.byClient.get(id) ?? []]));
  }

  /**
   * The rules as they are now, of those still there and enabled. On PostgreSQL they stay share-locked
   * until the batch commits: a change or delete of one of them waits for the batch (and the batch for
   * a change in progress, then sees its outcome), so an event is never inserted for a rule that is
   * gone (the foreign key would fail the whole batch) or left open by a rule disabled meanwhile.
   * Locked in id order, and before any of their events, as rule changes do: two batches and a change never deadlock.
   */
  private lockRules(m: EntityManager, ids: number[]): Promise<RuleCondition[]> {
    return this.readRules(
      m,
      'id',
      ids.sort((a, b) => a - b),
      this.db.kind === 'postgres' ? ' ORDER BY id FOR SHARE' : ' ORDER BY id',
    );
  }

  private async readRules(m: EntityManager, column: 'id' | 'client_id', ids: number[], tail = ''): Promise<RuleCondition[]> {
    const rows = await this.db.query<Record<string, unknown>>(
      `SELECT ${RULE_COLUMNS} FROM alarm_rules WHERE ${column} IN (${ids.map(() => '?').join(',')}) AND enabled = ?${tail}`,
      [...ids, true],
      m,
    );
    return rows.map(ruleFromRow);
  }
}
