import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { CombinedStatements, Database } from '../database/database.service';
import { conditionHolds } from './alarm-condition';
import { AlarmRule } from './entities/alarm-rule.entity';

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

/** The columns of a rule the evaluation needs. */
export type RuleCondition = Pick<AlarmRule, 'id' | 'clientId' | 'deviceId' | 'name' | 'metric' | 'operator' | 'threshold'>;

const RULES_VERSION = "SELECT value AS version FROM revisions WHERE name = 'alarm-rules'";

const appliesTo = (rule: RuleCondition, v: StoredValue) => rule.clientId === v.clientId && rule.metric === v.metric && (rule.deviceId === null || rule.deviceId === v.deviceId);

/**
 * Runs inside the ingest transaction. For each stored value, the client's
 * enabled rules on that metric (for every device, or for that device) are
 * checked: a rule whose condition starts to hold raises one event per device;
 * while it keeps holding nothing new is written; the first value that no
 * longer meets it clears the event.
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

  constructor(private readonly db: Database) {}

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
    const candidates = new Set<number>();
    for (const v of values) for (const rule of cached.get(v.clientId) ?? []) if (appliesTo(rule, v)) candidates.add(rule.id);
    if (candidates.size === 0) return outcome;
    const rules = await this.lockRules(m, [...candidates]);
    const relevant = values.filter((v) => rules.some((r) => appliesTo(r, v)));
    if (relevant.length === 0) return outcome;

    const deviceIds = [...new Set(relevant.map((v) => v.deviceId))];
    const active = new Map<string, number>(); // `${ruleId}:${deviceId}` -> event id
    const rows = await this.db.query<{ id: number; rule_id: number; device_id: number }>(
      `SELECT id, rule_id, device_id FROM alarm_events WHERE cleared_at IS NULL AND device_id IN (${deviceIds.map(() => '?').join(',')})`,
      deviceIds,
      m,
    );
    for (const r of rows) active.set(`${r.rule_id}:${r.device_id}`, Number(r.id));

    relevant.sort((a, b) => a.ts - b.ts);
    for (const v of relevant) {
      for (const rule of rules) {
        if (!appliesTo(rule, v)) continue;
        const key = `${rule.id}:${v.deviceId}`;
        const holds = conditionHolds(v.value, rule.operator, rule.threshold);
        const eventId = active.get(key);
        if (holds && eventId === undefined) {
          const details = `${rule.name}: ${v.metric} ${v.value} ${rule.operator} ${rule.threshold}`;
          const [inserted] = await this.db.query<{ id: number }>(
            'insert into alarm_events (rule_id, device_id, metric, value, raised_at, acknowledged, details) VALUES (?, ?, ?, ?, ?, ?, ?) ' +
              'ON CONFLICT (rule_id, device_id) WHERE cleared_at IS NULL DO NOTHING RETURNING id',
            [rule.id, v.deviceId, v.metric, v.value, v.ts, false, details],
            m,
          );
          if (inserted) {
            active.set(key, Number(inserted.id));
            outcome.raised++;
          } else {
            // A batch of the same device committed meanwhile raised it (two senders at once): that event stands.
            const [open] = await this.db.query<{ id: number }>('SELECT id FROM alarm_events WHERE rule_id = ? AND device_id = ? AND cleared_at IS NULL', [rule.id, v.deviceId], m);
            if (open) active.set(key, Number(open.id));
          }
        } else if (!holds && eventId !== undefined) {
          await this.db.query('UPDATE alarm_events SET cleared_at = ? WHERE id = ?', [v.ts, eventId], m);
          active.delete(key);
          outcome.cleared++;
        }
      }
    }
    return outcome;
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
      for (const id of missing) cache.byClient.set(id, loaded.filter((r) => r.clientId === id));
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
    return this.readRules(m, 'id', ids.sort((a, b) => a - b), this.db.kind === 'postgres' ? ' ORDER BY id FOR SHARE' : ' ORDER BY id');
  }

  private async readRules(m: EntityManager, column: 'id' | 'client_id', ids: number[], tail = ''): Promise<RuleCondition[]> {
    const rows = await this.db.query<{ id: number; client_id: number; device_id: number | null; name: string; metric: string; operator: RuleCondition['operator']; threshold: number | string }>(
      `SELECT id, client_id, device_id, name, metric, operator, threshold FROM alarm_rules WHERE ${column} IN (${ids.map(() => '?').join(',')}) AND enabled = ?${tail}`,
      [...ids, true],
      m,
    );
    return rows.map((r) => ({
      id: Number(r.id),
      clientId: Number(r.client_id),
      deviceId: r.device_id === null ? null : Number(r.device_id),
      name: r.name,
      metric: r.metric,
      operator: r.operator,
      threshold: Number(r.threshold),
    }));
  }
}
