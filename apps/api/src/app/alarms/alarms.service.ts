import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { isPlatformAlarmType, METRICS, type PlatformAlarmType } from '@pieng/shared';
import { EntityManager, Repository } from 'typeorm';
import { ClientsService } from '../clients/clients.service';
import { ClientScope, ScopedWhere } from '../common/client-scope';
import { ForbiddenError, InvalidInputError, NotFoundError } from '../common/domain-errors';
import { Database } from '../database/database.service';
import { DevicesService } from '../devices/devices.service';
import { NotificationChannelsService } from '../notifications/notification-channels.service';
import { AlarmEventStore, num, RULE_COLUMNS, RuleCondition, ruleFromRow } from './alarm-event-store';
import { AlarmStateMachine } from './alarm-state-machine';
import { AlarmEventQuery } from './dto/alarm-event.query';
import { AlarmEventResponse } from './dto/alarm-event.response';
import { AlarmHistoryEntryResponse } from './dto/alarm-history.response';
import { AlarmMetricResponse } from './dto/alarm-metric.response';
import { AlarmRuleQuery } from './dto/alarm-rule.query';
import { CreateAlarmRuleDto } from './dto/create-alarm-rule.dto';
import { CreateMaintenanceWindowDto } from './dto/create-maintenance-window.dto';
import { MaintenanceWindowQuery } from './dto/maintenance-window.query';
import { MaintenanceWindowResponse } from './dto/maintenance-window.response';
import { UpdateAlarmRuleDto } from './dto/update-alarm-rule.dto';
import { AlarmRule } from './entities/alarm-rule.entity';
import { PLATFORM_OPERATORS } from './platform-conditions';

/** The longest a shelf or a maintenance window may last. */
const MAX_SHELVE_MS = 30 * 86_400_000;
const MAX_WINDOW_MS = 366 * 86_400_000;

type FieldError = { field: string; message: string };

/** Active events by acknowledgement, for the console's counter. */
export interface AlarmCounts {
  activeUnacknowledged: number;
  activeAcknowledged: number;
  shelved: number;
}

@Injectable()
export class AlarmsService {
  constructor(
    @InjectRepository(AlarmRule) private readonly rules: Repository<AlarmRule>,
    private readonly clients: ClientsService,
    private readonly devices: DevicesService,
    private readonly channels: NotificationChannelsService,
    private readonly db: Database,
    private readonly store: AlarmEventStore,
  ) {}

  async listRules(scope: ClientScope, query: AlarmRuleQuery): Promise<AlarmRule[]> {
    const qb = this.rules.createQueryBuilder('r').orderBy('r.id', 'ASC');
    if (scope.clientId !== null) qb.andWhere('r.clientId = :scopeId', { scopeId: scope.clientId });
    if (query.clientId !== undefined) qb.andWhere('r.clientId = :clientId', { clientId: query.clientId });
    // A device's rules: its own and its client's for every device (not the platform's, which have no device either).
    if (query.deviceId !== undefined) qb.andWhere('(r.deviceId = :deviceId OR (r.deviceId IS NULL AND r.clientId IS NOT NULL))', { deviceId: query.deviceId });
    return qb.getMany();
  }

  async getRule(scope: ClientScope, id: number): Promise<AlarmRule> {
    const rule = await this.rules.findOneBy({ id });
    if (!rule || (scope.clientId !== null && rule.clientId !== scope.clientId)) throw new NotFoundError(`Alarm rule ${id} not found`);
    return rule;
  }

  async createRule(scope: ClientScope, dto: CreateAlarmRuleDto): Promise<AlarmRule> {
    if (isPlatformAlarmType(dto.type)) return this.createPlatformRule(scope, dto, dto.type);
    // Validated: every rule but a platform rule names its client.
    const clientId = dto.clientId as number;
    await this.clients.get(scope, clientId);
    if (dto.deviceId != null) await this.assertDeviceOfClient(scope, dto.deviceId, clientId);
    const type = dto.type ?? 'threshold';
    const fields = {
      type,
      metric: type === 'offline' ? '' : (dto.metric as string),
      operator: dto.operator ?? '>',
      threshold: dto.threshold ?? 0,
      severity: dto.severity ?? 'major',
      deadband: dto.deadband ?? 0,
      onDelaySec: dto.onDelaySec ?? 0,
      offDelaySec: dto.offDelaySec ?? 0,
      latch: dto.latch ?? false,
      reAlarmSec: dto.reAlarmSec ?? null,
      staleAfterSec: type === 'offline' ? (dto.staleAfterSec as number) : null,
      channelIds: dto.channelIds ?? [],
      escalationChannelId: dto.escalationChannelId ?? null,
      escalateAfterMin: dto.escalateAfterMin ?? null,
    };
    this.assertComplete(fields);
    await this.assertChannelsOfClient(clientId, fields);
    if (type !== 'offline') await this.assertKnownMetric(fields.metric, clientId, dto.deviceId ?? null);
    return this.db.transaction((m) =>
      m
        .getRepository(AlarmRule)
        .save({ clientId, deviceId: dto.deviceId ?? null, name: dto.name, enabled: dto.enabled ?? true, createdAt: Date.now(), ...fields }),
    );
  }

  /**
   * A rule about the platform itself (PlatformConditions): the platform staff's, with no client, no
   * device, no metric, and the comparison of its type; its channels are platform-wide ones.
   */
  private async createPlatformRule(scope: ClientScope, dto: CreateAlarmRuleDto, type: PlatformAlarmType): Promise<AlarmRule> {
    assertPlatformStaff(scope);
    const errors = this.platformRuleErrors(dto, type, dto.threshold === undefined && type !== 'backupFailed');
    if (dto.clientId != null)
      errors.unshift({ field: 'clientId', message: `a ${type} rule is about the platform and belongs to no client: leave clientId out` });
    if (errors.length) throw InvalidInputError.forFields(errors);
    const fields = {
      type,
      metric: '',
      operator: PLATFORM_OPERATORS[type],
      threshold: type === 'backupFailed' ? 1 : (dto.threshold as number),
      severity: dto.severity ?? 'major',
      deadband: dto.deadband ?? 0,
      onDelaySec: dto.onDelaySec ?? 0,
      offDelaySec: dto.offDelaySec ?? 0,
      latch: dto.latch ?? false,
      reAlarmSec: dto.reAlarmSec ?? null,
      staleAfterSec: null,
      channelIds: dto.channelIds ?? [],
      escalationChannelId: dto.escalationChannelId ?? null,
      escalateAfterMin: dto.escalateAfterMin ?? null,
    };
    this.assertComplete(fields);
    await this.assertChannelsOfClient(null, fields);
    return this.db.transaction((m) =>
      m.getRepository(AlarmRule).save({ clientId: null, deviceId: null, name: dto.name, enabled: dto.enabled ?? true, createdAt: Date.now(), ...fields }),
    );
  }

  /** What a platform rule of `type` may not be given (each error names its field); `needsThreshold`: the threshold is missing and wanted. */
  private platformRuleErrors(dto: UpdateAlarmRuleDto, type: PlatformAlarmType, needsThreshold: boolean): FieldError[] {
    const errors: FieldError[] = [];
    if (dto.deviceId != null) errors.push({ field: 'deviceId', message: `a ${type} rule watches the platform, not a device: leave deviceId out` });
    if (dto.metric !== undefined) errors.push({ field: 'metric', message: `a ${type} rule watches no metric: leave metric out` });
    if (dto.operator !== undefined && dto.operator !== PLATFORM_OPERATORS[type])
      errors.push({ field: 'operator', message: `a ${type} rule always compares with ${PLATFORM_OPERATORS[type]}: leave operator out` });
    if (dto.staleAfterSec != null) errors.push({ field: 'staleAfterSec', message: 'staleAfterSec is for offline rules only' });
    if (type === 'backupFailed' && dto.threshold !== undefined && dto.threshold !== 1)
      errors.push({
        field: 'threshold',
        message: 'a backupFailed rule has no threshold (it raises when the last scheduled backup failed): leave threshold out',
      });
    if (type !== 'backupFailed' && needsThreshold)
      errors.push({ field: 'threshold', message: `threshold is required for a ${type} rule (${type === 'diskSpace' ? 'MB free' : 'minutes'})` });
    if (type !== 'backupFailed' && dto.threshold !== undefined && !(dto.threshold > 0))
      errors.push({ field: 'threshold', message: `threshold must be above 0 (${type === 'diskSpace' ? 'MB free' : 'minutes'})` });
    if (type === 'backupFailed' && this.db.kind === 'postgres')
      errors.push({
        field: 'type',
        message: 'backupFailed watches the scheduled SQLite backup; on PostgreSQL the server makes none (watch your pg_dump or replication instead)',
      });
    return errors;
  }

  async updateRule(scope: ClientScope, id: number, dto: UpdateAlarmRuleDto): Promise<AlarmRule> {
    const rule = await this.getRule(scope, id);
    const platform = rule.clientId === null;
    if (dto.type !== undefined && isPlatformAlarmType(dto.type) !== platform)
      throw InvalidInputError.forFields([
        {
          field: 'type',
          message: platform
            ? 'a platform rule keeps a platform type (diskSpace, backupFailed, forwardingStuck)'
            : "a client's rule cannot become a platform rule: create one (platform staff)",
        },
      ]);
    let changes: UpdateAlarmRuleDto & { operator?: AlarmRule['operator'] };
    if (platform) {
      const type = (dto.type ?? rule.type) as PlatformAlarmType;
      // A rule turning from backupFailed (no threshold of its own) into another type needs one.
      const errors = this.platformRuleErrors(dto, type, dto.threshold === undefined && rule.type === 'backupFailed' && type !== 'backupFailed');
      if (errors.length) throw InvalidInputError.forFields(errors);
      changes = { ...dto, operator: PLATFORM_OPERATORS[type], ...(type === 'backupFailed' && { threshold: 1 }) };
      this.assertComplete({ ...rule, ...changes } as AlarmRule);
      await this.assertChannelsOfClient(null, { channelIds: dto.channelIds ?? [], escalationChannelId: dto.escalationChannelId ?? null });
    } else {
      const clientId = rule.clientId as number;
      if (dto.deviceId != null) await this.assertDeviceOfClient(scope, dto.deviceId, clientId);
      const merged = { ...rule, ...dto } as AlarmRule;
      if (merged.type === 'offline') merged.metric = '';
      this.assertComplete(merged);
      await this.assertChannelsOfClient(clientId, { channelIds: dto.channelIds ?? [], escalationChannelId: dto.escalationChannelId ?? null });
      if (merged.type !== 'offline' && (dto.metric !== undefined || dto.type !== undefined || dto.deviceId !== undefined))
        await this.assertKnownMetric(merged.metric, clientId, merged.deviceId);
      changes = { ...dto, ...(merged.type === 'offline' && { metric: '' }) };
    }
    return this.db.transaction(async (m) => {
      const repo = m.getRepository(AlarmRule);
      await repo.update({ id }, changes);
      // A rule switched off or whose condition changed no longer vouches for its open events: close them now.
      // (`dto` says what changed: a platform rule's `changes` always carry its type's operator.)
      const conditionChanged = (['type', 'metric', 'operator', 'threshold', 'deviceId', 'deadband', 'staleAfterSec'] as const).some(
        (k) => dto[k] !== undefined,
      );
      if (dto.enabled === false || conditionChanged)
        await this.closeEventsOf(m, ruleFromRow((await this.db.query(`SELECT ${RULE_COLUMNS} FROM alarm_rules WHERE id = ?`, [id], m))[0]));
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

  /** The metrics a rule of the client (or of one device) may watch: those reported, then the known names. */
  async listMetrics(scope: ClientScope, query: { clientId?: number; deviceId?: number }): Promise<AlarmMetricResponse[]> {
    let deviceIds: number[];
    if (query.deviceId !== undefined) deviceIds = [(await this.devices.get(scope, query.deviceId)).id];
    else if (query.clientId !== undefined || scope.clientId !== null) {
      const clientId = query.clientId ?? (scope.clientId as number);
      await this.clients.get(scope, clientId);
      deviceIds = (await this.db.query<{ id: number }>('SELECT id FROM devices WHERE client_id = ?', [clientId])).map((d) => Number(d.id));
    } else deviceIds = [];
    const reported = await this.reportedMetrics(deviceIds);
    const known = METRICS as Record<string, { unit: string; label: string }>;
    const names = [...reported, ...Object.keys(known).filter((k) => !reported.includes(k))];
    return names.map((metric) => ({ metric, unit: known[metric]?.unit ?? '', label: known[metric]?.label ?? metric, reported: reported.includes(metric) }));
  }

  async listEvents(scope: ClientScope, query: AlarmEventQuery): Promise<AlarmEventResponse[]> {
    const now = Date.now();
    const where = new ScopedWhere(scope, 'd.client_id');
    if (query.clientId !== undefined) where.and('d.client_id = ?', query.clientId);
    if (query.deviceId !== undefined) where.and('e.device_id = ?', query.deviceId);
    if (query.active !== undefined) where.and(query.active ? 'e.cleared_at IS NULL' : 'e.cleared_at IS NOT NULL');
    if (query.acknowledged !== undefined) where.and('e.acknowledged = ?', query.acknowledged);
    // Shelved events are hidden unless asked for.
    if (query.shelved === true) where.and('e.shelved_until > ?', now);
    else if (query.shelved !== undefined || query.includeShelved !== true) where.and('(e.shelved_until IS NULL OR e.shelved_until <= ?)', now);
    // May sort a long history of events: on the read connections, beside the writes.
    const rows = await this.db.scan(
      `SELECT e.*, r.name AS rule_name, r.type AS rule_type FROM alarm_events e
       LEFT JOIN devices d ON d.id = e.device_id JOIN alarm_rules r ON r.id = e.rule_id
      ${where.sql} ORDER BY e.raised_at DESC, e.id DESC LIMIT ?`,
      [...where.params, query.limit ?? 100],
    );
    return rows.map((r) => AlarmEventResponse.fromRow(r, now));
  }

  /** Active events, unacknowledged and acknowledged apart (shelved ones counted on their own). */
  async counts(scope: ClientScope, clientId?: number): Promise<AlarmCounts> {
    const now = Date.now();
    // Platform events (no device) count for staff only: a client's condition on d.client_id leaves them out.
    const where = new ScopedWhere(scope, 'd.client_id').and('e.cleared_at IS NULL');
    if (clientId !== undefined) where.and('d.client_id = ?', clientId);
    const [row] = await this.db.scan<Record<string, unknown>>(
      `SELECT
         SUM(CASE WHEN e.shelved_until > ? THEN 1 ELSE 0 END) AS shelved,
         SUM(CASE WHEN e.acknowledged = ? AND (e.shelved_until IS NULL OR e.shelved_until <= ?) THEN 1 ELSE 0 END) AS acked,
         SUM(CASE WHEN e.acknowledged = ? AND (e.shelved_until IS NULL OR e.shelved_until <= ?) THEN 1 ELSE 0 END) AS unacked
       FROM alarm_events e LEFT JOIN devices d ON d.id = e.device_id${where.sql}`,
      [now, true, now, false, now, ...where.params],
    );
    return { activeUnacknowledged: Number(row?.['unacked'] ?? 0), activeAcknowledged: Number(row?.['acked'] ?? 0), shelved: Number(row?.['shelved'] ?? 0) };
  }

  async getEvent(scope: ClientScope, id: number, m?: EntityManager): Promise<Record<string, unknown>> {
    // A platform event (no device) has no client: only platform staff find it.
    const rows = await this.db.query(
      `SELECT e.*, r.name AS rule_name, r.type AS rule_type, d.client_id FROM alarm_events e LEFT JOIN devices d ON d.id = e.device_id JOIN alarm_rules r ON r.id = e.rule_id WHERE e.id = ?`,
      [id],
      m,
    );
    const row = rows[0];
    if (!row || (scope.clientId !== null && (row['client_id'] === null || Number(row['client_id']) !== scope.clientId)))
      throw new NotFoundError(`Alarm event ${id} not found`);
    return row;
  }

  /**
   * Acknowledging says "someone has seen it"; it does not clear the condition (a latched event whose
   * condition has cleared does clear). Acknowledging twice keeps the first acknowledgement.
   */
  async acknowledge(scope: ClientScope, id: number, actor: string, comment?: string): Promise<AlarmEventResponse> {
    await this.getEvent(scope, id);
    await this.db.transaction(async (m) => {
      const { event, rule } = await this.lockEvent(m, id);
      if (event['acknowledged'] === true || Number(event['acknowledged']) === 1) return;
      const now = Date.now();
      const deviceId = num(event['device_id']);
      const changes = this.store.begin(m);
      await changes.load([rule.id], [deviceId]);
      const s = changes.peek(rule.id, deviceId);
      if (s && s.eventId === id && s.state.active) {
        // The rule's current episode: the state machine decides (latch, re-alarm timing).
        const machine = new AlarmStateMachine(rule);
        const wasLatched = s.state.latched;
        await changes.apply(rule, machine, s, machine.acknowledge(s.state, now), wasLatched, { actor, comment: comment ?? null });
      } else {
        // A cleared event (or one the state no longer follows): recorded as seen.
        await this.db.query(
          'UPDATE alarm_events SET acknowledged = ?, acknowledged_at = ?, acknowledged_by = ?, ack_comment = ? WHERE id = ?',
          [true, now, actor, comment ?? null, id],
          m,
        );
        const shelved = event['shelved_until'] !== null && Number(event['shelved_until']) > now;
        changes.note(rule, deviceId, id, 'acknowledged', now, shelved, { actor, comment: comment ?? null });
      }
      await changes.flush();
    });
    return AlarmEventResponse.fromRow(await this.getEvent(scope, id));
  }

  /** Hides an event and mutes its notifications until `until`. */
  async shelve(scope: ClientScope, id: number, actor: string, until: number, reason: string): Promise<AlarmEventResponse> {
    await this.getEvent(scope, id);
    const now = Date.now();
    if (!(until > now)) throw InvalidInputError.forFields([{ field: 'until', message: 'until must be in the future' }]);
    if (until - now > MAX_SHELVE_MS) throw InvalidInputError.forFields([{ field: 'until', message: 'until must be at most 30 days ahead' }]);
    await this.db.transaction(async (m) => {
      const { event, rule } = await this.lockEvent(m, id);
      await this.db.query('UPDATE alarm_events SET shelved_until = ?, shelve_reason = ? WHERE id = ?', [until, reason, id], m);
      const changes = this.store.begin(m);
      changes.note(rule, num(event['device_id']), id, 'shelved', now, true, { actor, comment: reason });
      await changes.flush();
    });
    return AlarmEventResponse.fromRow(await this.getEvent(scope, id));
  }

  async unshelve(scope: ClientScope, id: number, actor: string): Promise<AlarmEventResponse> {
    await this.getEvent(scope, id);
    await this.db.transaction(async (m) => {
      const { event, rule } = await this.lockEvent(m, id);
      const now = Date.now();
      if (event['shelved_until'] === null || Number(event['shelved_until']) <= now) return;
      await this.db.query('UPDATE alarm_events SET shelved_until = NULL WHERE id = ?', [id], m);
      const changes = this.store.begin(m);
      changes.note(rule, num(event['device_id']), id, 'unshelved', now, false, { actor });
      await changes.flush();
    });
    return AlarmEventResponse.fromRow(await this.getEvent(scope, id));
  }

  async history(scope: ClientScope, id: number): Promise<AlarmHistoryEntryResponse[]> {
    await this.getEvent(scope, id);
    const rows = await this.db.query('SELECT * FROM alarm_event_history WHERE event_id = ? ORDER BY id', [id]);
    return rows.map(AlarmHistoryEntryResponse.fromRow);
  }

  async createMaintenance(scope: ClientScope, dto: CreateMaintenanceWindowDto, actor: string): Promise<MaintenanceWindowResponse> {
    const from = Date.parse(dto.from);
    const to = Date.parse(dto.to);
    if (!(to > from)) throw InvalidInputError.forFields([{ field: 'to', message: 'to must be after from' }]);
    if (to - from > MAX_WINDOW_MS) throw InvalidInputError.forFields([{ field: 'to', message: 'a window lasts at most 366 days' }]);
    if (dto.deviceId !== undefined && dto.siteId !== undefined)
      throw InvalidInputError.forFields([{ field: 'siteId', message: 'give deviceId or siteId, not both' }]);
    let clientId: number;
    if (dto.deviceId !== undefined) clientId = (await this.devices.get(scope, dto.deviceId)).clientId;
    else {
      const [site] = await this.db.query<{ client_id: number }>('SELECT client_id FROM sites WHERE id = ?', [dto.siteId]);
      if (!site || (scope.clientId !== null && Number(site.client_id) !== scope.clientId)) throw new NotFoundError(`Site ${dto.siteId} not found`);
      clientId = Number(site.client_id);
    }
    const id = await this.db.transaction((m) =>
      this.db.insertReturningId(
        'INSERT INTO alarm_maintenance (client_id, device_id, site_id, from_ts, to_ts, reason, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
        [clientId, dto.deviceId ?? null, dto.siteId ?? null, from, to, dto.reason, actor, Date.now()],
        m,
      ),
    );
    return (await this.maintenanceRows(scope, { id }))[0];
  }

  listMaintenance(scope: ClientScope, query: MaintenanceWindowQuery): Promise<MaintenanceWindowResponse[]> {
    return this.maintenanceRows(scope, query);
  }

  async deleteMaintenance(scope: ClientScope, id: number): Promise<void> {
    const [found] = await this.maintenanceRows(scope, { id });
    if (!found) throw new NotFoundError(`Maintenance window ${id} not found`);
    await this.db.transaction((m) => this.db.execute('DELETE FROM alarm_maintenance WHERE id = ?', [id], m));
  }

  private async maintenanceRows(scope: ClientScope, query: MaintenanceWindowQuery & { id?: number }): Promise<MaintenanceWindowResponse[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const filter = (sql: string, ...values: unknown[]) => {
      where.push(sql);
      params.push(...values);
    };
    if (scope.clientId !== null) filter('client_id = ?', scope.clientId);
    if (query.clientId !== undefined) filter('client_id = ?', query.clientId);
    if (query.id !== undefined) filter('id = ?', query.id);
    if (query.deviceId !== undefined) filter('(device_id = ? OR site_id = (SELECT site_id FROM devices WHERE id = ?))', query.deviceId, query.deviceId);
    const rows = await this.db.query(
      `SELECT * FROM alarm_maintenance ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY from_ts DESC, id DESC LIMIT 1000`,
      params,
    );
    return rows.map(MaintenanceWindowResponse.fromRow);
  }

  /** Locks the event's device (PostgreSQL) and then its rule, in the order ingest batches and the alarm timer use (a platform event: its rule, for update, as the timer does). */
  private async lockEvent(m: EntityManager, id: number): Promise<{ event: Record<string, unknown>; rule: RuleCondition }> {
    const pg = this.db.kind === 'postgres';
    const [head] = await this.db.query<{ device_id: number | null; rule_id: number }>('SELECT device_id, rule_id FROM alarm_events WHERE id = ?', [id], m);
    if (!head) throw new NotFoundError(`Alarm event ${id} not found`);
    const platform = head.device_id === null;
    if (pg && !platform) await this.db.query('SELECT id FROM devices WHERE id = ? FOR UPDATE', [head.device_id], m);
    const [rule] = await this.db.query(
      `SELECT ${RULE_COLUMNS} FROM alarm_rules WHERE id = ?${pg ? (platform ? ' FOR UPDATE' : ' FOR SHARE') : ''}`,
      [head.rule_id],
      m,
    );
    const [event] = await this.db.query('SELECT * FROM alarm_events WHERE id = ?', [id], m);
    if (!rule || !event) throw new NotFoundError(`Alarm event ${id} not found`);
    return { event, rule: ruleFromRow(rule) };
  }

  /** Clears every open event of a rule (switched off or changed) with its history, and forgets the rule's states. */
  private async closeEventsOf(m: EntityManager, rule: RuleCondition): Promise<void> {
    const now = Date.now();
    const open = await this.db.query<{ id: number; device_id: number | null; shelved_until: number | null }>(
      'SELECT id, device_id, shelved_until FROM alarm_events WHERE rule_id = ? AND cleared_at IS NULL',
      [rule.id],
      m,
    );
    await m.query(this.db.sql('UPDATE alarm_events SET cleared_at = ?, latched = ? WHERE rule_id = ? AND cleared_at IS NULL'), [now, false, rule.id]);
    await m.query(this.db.sql('DELETE FROM alarm_states WHERE rule_id = ?'), [rule.id]);
    if (!open.length) return;
    const changes = this.store.begin(m);
    for (const e of open) changes.note(rule, num(e.device_id), Number(e.id), 'cleared', now, e.shelved_until !== null && Number(e.shelved_until) > now);
    await changes.flush();
  }

  /** The fields that depend on the type are there (offline: staleAfterSec; escalation: both halves; platform rules have no metric). */
  private assertComplete(r: Pick<AlarmRule, 'type' | 'staleAfterSec' | 'escalationChannelId' | 'escalateAfterMin' | 'metric'>): void {
    if (r.type === 'offline' && !r.staleAfterSec)
      throw InvalidInputError.forFields([{ field: 'staleAfterSec', message: 'staleAfterSec is required for an offline rule' }]);
    if (r.type !== 'offline' && !isPlatformAlarmType(r.type) && !r.metric)
      throw InvalidInputError.forFields([{ field: 'metric', message: `metric is required for a ${r.type} rule` }]);
    if ((r.escalationChannelId === null) !== (r.escalateAfterMin === null))
      throw InvalidInputError.forFields([
        { field: r.escalationChannelId === null ? 'escalationChannelId' : 'escalateAfterMin', message: 'escalationChannelId and escalateAfterMin go together' },
      ]);
  }

  /** A rule tells only its own client's channels, a platform rule (clientId null) only platform-wide ones; another client's channel is named as unknown. */
  private async assertChannelsOfClient(clientId: number | null, r: { channelIds: number[]; escalationChannelId: number | null }): Promise<void> {
    const named = [
      ...r.channelIds.map((id, i) => ({ field: `channelIds[${i}]`, id })),
      ...(r.escalationChannelId === null ? [] : [{ field: 'escalationChannelId', id: r.escalationChannelId }]),
    ];
    if (named.length === 0) return;
    const own = new Set((await this.channels.byIds(named.map((n) => n.id))).filter((c) => c.clientId === clientId).map((c) => c.id));
    const unknown = named.filter((n) => !own.has(n.id));
    const missing = (id: number) => (clientId === null ? `no platform-wide notification channel ${id}` : `no notification channel ${id} of client ${clientId}`);
    if (unknown.length) throw InvalidInputError.forFields(unknown.map((n) => ({ field: n.field, message: `${n.field}: ${missing(n.id)}` })));
  }

  /** A metric the device (or a device of the client) reports, or a known metric name; else 400 listing them. */
  private async assertKnownMetric(metric: string, clientId: number, deviceId: number | null): Promise<void> {
    if (metric in METRICS) return;
    const deviceIds =
      deviceId !== null ? [deviceId] : (await this.db.query<{ id: number }>('SELECT id FROM devices WHERE client_id = ?', [clientId])).map((d) => Number(d.id));
    const reported = await this.reportedMetrics(deviceIds);
    if (reported.includes(metric)) return;
    const valid = [...new Set([...reported, ...Object.keys(METRICS)])];
    throw InvalidInputError.forFields([
      {
        field: 'metric',
        message: `metric "${metric}" is not reported by ${deviceId !== null ? 'the device' : "the client's devices"} nor a known metric; valid: ${valid.join(', ')}`,
      },
    ]);
  }

  /**
   * The metric names stored for these devices. A loose index scan on the measurements key (device_id,
   * metric, ts): one index probe per metric, however many readings there are.
   */
  private async reportedMetrics(deviceIds: number[]): Promise<string[]> {
    const names = new Set<string>();
    for (const id of deviceIds.slice(0, 200)) {
      const rows = await this.db.scan<{ metric: string | null }>(
        `WITH RECURSIVE m(metric) AS (
           SELECT MIN(metric) FROM measurements WHERE device_id = ?
           UNION ALL
           SELECT (SELECT MIN(metric) FROM measurements WHERE device_id = ? AND metric > m.metric) FROM m WHERE m.metric IS NOT NULL
         ) SELECT metric FROM m WHERE metric IS NOT NULL`,
        [id, id],
      );
      for (const r of rows) if (r.metric) names.add(r.metric);
    }
    return [...names].sort();
  }

  private async assertDeviceOfClient(scope: ClientScope, deviceId: number, clientId: number) {
    const device = await this.devices.get(scope, deviceId);
    if (device.clientId !== clientId) throw InvalidInputError.forFields([{ field: 'deviceId', message: `device ${deviceId} belongs to another client` }]);
  }
}

/** Platform rules are the platform staff's: a client's user (or API key) may not make one. */
function assertPlatformStaff(scope: ClientScope): void {
  if (scope.clientId !== null)
    throw new ForbiddenError('Platform alarms (diskSpace, backupFailed, forwardingStuck) are made by platform staff (a user with no client)');
}
