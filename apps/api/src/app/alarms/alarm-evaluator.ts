import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { Database } from '../database/database.service';
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

/**
 * Runs inside the ingest transaction. For each stored value, the client's
 * enabled rules on that metric (for every device, or for that device) are
 * checked: a rule whose condition starts to hold raises one event per device;
 * while it keeps holding nothing new is written; the first value that no
 * longer meets it clears the event.
 */
@Injectable()
export class AlarmEvaluator {
  /** Enabled rules per client; rebuilt on the next batch after any rule changes. */
  private rulesByClient = new Map<number, AlarmRule[]>();

  constructor(private readonly db: Database) {}

  invalidate(): void {
    this.rulesByClient.clear();
  }

  async evaluate(m: EntityManager, values: StoredValue[]): Promise<AlarmOutcome> {
    const outcome = { raised: 0, cleared: 0 };
    if (values.length === 0) return outcome;
    const rules = await this.rulesFor(m, [...new Set(values.map((v) => v.clientId))]);
    const relevant = values.filter((v) => rules.get(v.clientId)?.some((r) => r.metric === v.metric && (r.deviceId === null || r.deviceId === v.deviceId)));
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
      for (const rule of rules.get(v.clientId) ?? []) {
        if (rule.metric !== v.metric || (rule.deviceId !== null && rule.deviceId !== v.deviceId)) continue;
        const key = `${rule.id}:${v.deviceId}`;
        const holds = conditionHolds(v.value, rule.operator, rule.threshold);
        const eventId = active.get(key);
        if (holds && eventId === undefined) {
          const details = `${rule.name}: ${v.metric} ${v.value} ${rule.operator} ${rule.threshold}`;
          const [inserted] = await this.db.query<{ id: number }>(
            'insert into alarm_events (rule_id, device_id, metric, value, raised_at, acknowledged, details) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id',
            [rule.id, v.deviceId, v.metric, v.value, v.ts, false, details],
            m,
          );
          active.set(key, Number(inserted.id));
          outcome.raised++;
        } else if (!holds && eventId !== undefined) {
          await this.db.query('UPDATE alarm_events SET cleared_at = ? WHERE id = ?', [v.ts, eventId], m);
          active.delete(key);
          outcome.cleared++;
        }
      }
    }
    return outcome;
  }

  private async rulesFor(m: EntityManager, clientIds: number[]): Promise<Map<number, AlarmRule[]>> {
    const missing = clientIds.filter((id) => !this.rulesByClient.has(id));
    if (missing.length) {
      const loaded = await m.getRepository(AlarmRule).createQueryBuilder('r').where('r.clientId IN (:...ids)', { ids: missing }).andWhere('r.enabled = :on', { on: true }).getMany();
      for (const id of missing) this.rulesByClient.set(id, loaded.filter((r) => r.clientId === id));
    }
    return new Map(clientIds.map((id) => [id, this.rulesByClient.get(id) ?? []]));
  }
}
