import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { ClientsService } from '../clients/clients.service';
import { ClientScope } from '../common/client-scope';
import { InvalidInputError, NotFoundError } from '../common/domain-errors';
import { Database } from '../database/database.service';
import { DevicesService } from '../devices/devices.service';
import { AlarmEventQuery } from './dto/alarm-event.query';
import { AlarmEventResponse } from './dto/alarm-event.response';
import { AlarmRuleQuery } from './dto/alarm-rule.query';
import { CreateAlarmRuleDto } from './dto/create-alarm-rule.dto';
import { UpdateAlarmRuleDto } from './dto/update-alarm-rule.dto';
import { AlarmRule } from './entities/alarm-rule.entity';

@Injectable()
export class AlarmsService {
  constructor(
    @InjectRepository(AlarmRule) private readonly rules: Repository<AlarmRule>,
    private readonly clients: ClientsService,
    private readonly devices: DevicesService,
    private readonly db: Database,
  ) {}

  async listRules(scope: ClientScope, query: AlarmRuleQuery): Promise<AlarmRule[]> {
    const qb = this.rules.createQueryBuilder('r').orderBy('r.id', 'ASC');
    if (scope.clientId !== null) qb.andWhere('r.clientId = :scopeId', { scopeId: scope.clientId });
    if (query.clientId !== undefined) qb.andWhere('r.clientId = :clientId', { clientId: query.clientId });
    if (query.deviceId !== undefined) qb.andWhere('(r.deviceId = :deviceId OR r.deviceId IS NULL)', { deviceId: query.deviceId });
    return qb.getMany();
  }

  async getRule(scope: ClientScope, id: number): Promise<AlarmRule> {
    const rule = await this.rules.findOneBy({ id });
    if (!rule || (scope.clientId !== null && rule.clientId !== scope.clientId)) throw new NotFoundError(`Alarm rule ${id} not found`);
    return rule;
  }

  async createRule(scope: ClientScope, dto: CreateAlarmRuleDto): Promise<AlarmRule> {
    await this.clients.get(scope, dto.clientId);
    if (dto.deviceId != null) await this.assertDeviceOfClient(scope, dto.deviceId, dto.clientId);
    return this.db.transaction((m) =>
      m.getRepository(AlarmRule).save({
        clientId: dto.clientId,
        deviceId: dto.deviceId ?? null,
        name: dto.name,
        metric: dto.metric,
        operator: dto.operator,
        threshold: dto.threshold,
        enabled: dto.enabled ?? true,
        createdAt: Date.now(),
      }),
    );
  }

  async updateRule(scope: ClientScope, id: number, dto: UpdateAlarmRuleDto): Promise<AlarmRule> {
    const rule = await this.getRule(scope, id);
    if (dto.deviceId != null) await this.assertDeviceOfClient(scope, dto.deviceId, rule.clientId);
    return this.db.transaction(async (m) => {
      const repo = m.getRepository(AlarmRule);
      await repo.update({ id }, { ...dto });
      // A rule switched off or changed no longer vouches for its open events: close them now.
      if (dto.enabled === false || dto.threshold !== undefined || dto.operator !== undefined || dto.metric !== undefined || dto.deviceId !== undefined) {
        await m.query(this.db.sql('UPDATE alarm_events SET cleared_at = ? WHERE rule_id = ? AND cleared_at IS NULL'), [Date.now(), id]);
      }
      return repo.findOneByOrFail({ id });
    });
  }

  async deleteRule(scope: ClientScope, id: number): Promise<void> {
    await this.getRule(scope, id);
    // The rule first, its events after (the foreign key cascades them too): batches that raise or clear
    // its events lock it before touching them (AlarmEvaluator), so the same order never deadlocks.
    await this.db.transaction(async (m) => {
      await m.getRepository(AlarmRule).delete({ id });
      await m.query(this.db.sql('DELETE FROM alarm_events WHERE rule_id = ?'), [id]);
    });
  }

  async listEvents(scope: ClientScope, query: AlarmEventQuery): Promise<AlarmEventResponse[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const filter = (sql: string, ...values: unknown[]) => {
      where.push(sql);
      params.push(...values);
    };
    if (scope.clientId !== null) filter('d.client_id = ?', scope.clientId);
    if (query.clientId !== undefined) filter('d.client_id = ?', query.clientId);
    if (query.deviceId !== undefined) filter('e.device_id = ?', query.deviceId);
    if (query.active !== undefined) filter(query.active ? 'e.cleared_at IS NULL' : 'e.cleared_at IS NOT NULL');
    if (query.acknowledged !== undefined) filter('e.acknowledged = ?', query.acknowledged);
    params.push(query.limit ?? 100);
    // May sort a long history of events: on the read connections, beside the writes.
    const rows = await this.db.scan(
      `SELECT e.*, r.name AS rule_name FROM alarm_events e
       JOIN devices d ON d.id = e.device_id JOIN alarm_rules r ON r.id = e.rule_id
       ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY e.raised_at DESC, e.id DESC LIMIT ?`,
      params,
    );
    return rows.map(AlarmEventResponse.fromRow);
  }

  /** Acknowledging says "someone has seen it"; it does not clear the condition. Acknowledging twice keeps the first time. */
  async acknowledge(scope: ClientScope, id: number): Promise<AlarmEventResponse> {
    const find = async () => {
      const params: unknown[] = [id];
      const rows = await this.db.query(
        `SELECT e.*, r.name AS rule_name, d.client_id FROM alarm_events e JOIN devices d ON d.id = e.device_id JOIN alarm_rules r ON r.id = e.rule_id WHERE e.id = ?`,
        params,
      );
      const row = rows[0];
      if (!row || (scope.clientId !== null && Number(row['client_id']) !== scope.clientId)) throw new NotFoundError(`Alarm event ${id} not found`);
      return row;
    };
    await find();
    await this.db.transaction((m) =>
      m.query(this.db.sql('UPDATE alarm_events SET acknowledged = ?, acknowledged_at = ? WHERE id = ? AND acknowledged = ?'), [true, Date.now(), id, false]),
    );
    return AlarmEventResponse.fromRow(await find());
  }

  private async assertDeviceOfClient(scope: ClientScope, deviceId: number, clientId: number) {
    const device = await this.devices.get(scope, deviceId);
    if (device.clientId !== clientId) throw InvalidInputError.forFields([{ field: 'deviceId', message: `device ${deviceId} belongs to another client` }]);
  }
}
