import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { ClientScope } from '../common/client-scope';
import { ConflictError, ForbiddenError, NotFoundError } from '../common/domain-errors';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { Database } from '../database/database.service';
import { RESOLUTIONS, Resolution, retentionDaysFor } from '../retention/retention-policy';
import { Device } from '../devices/entities/device.entity';
import { Site } from '../sites/entities/site.entity';
import { CreateClientDto } from './dto/create-client.dto';
import { UpdateClientDto } from './dto/update-client.dto';
import { Client } from './entities/client.entity';

@Injectable()
export class ClientsService {
  constructor(
    @InjectRepository(Client) private readonly clients: Repository<Client>,
    private readonly db: Database,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** The time zone of clients that have none of their own (PLANT_TIMEZONE). */
  get plantTimezone(): string {
    return this.config.plantTimezone;
  }

  /**
   * What reading the client's data depends on: its time zone (its own, else PLANT_TIMEZONE) and the
   * days each resolution is kept (its own figures, else the platform's; null: forever).
   */
  async dataSettings(clientId: number): Promise<{ timezone: string; retentionDays: Record<Resolution, number | null> }> {
    const c = await this.clients.findOneBy({ id: clientId });
    const own = c
      ? {
          id: c.id,
          retention_raw_days: c.retentionRawDays,
          retention_1m_days: c.retentionOneMinuteDays,
          retention_15m_days: c.retentionFifteenMinuteDays,
          retention_1h_days: c.retentionOneHourDays,
        }
      : undefined;
    const retentionDays = Object.fromEntries(RESOLUTIONS.map((r) => [r.resolution, retentionDaysFor(r.resolution, this.config.retention.days, own)])) as Record<
      Resolution,
      number | null
    >;
    return { timezone: c?.timezone ?? this.config.plantTimezone, retentionDays };
  }

  list(scope: ClientScope): Promise<Client[]> {
    return this.clients.find({ where: scope.clientId === null ? {} : { id: scope.clientId }, order: { id: 'ASC' } });
  }

  async get(scope: ClientScope, id: number): Promise<Client> {
    const client = await this.clients.findOneBy({ id });
    if (!client || (scope.clientId !== null && scope.clientId !== id)) throw new NotFoundError(`Client ${id} not found`);
    return client;
  }

  async create(scope: ClientScope, dto: CreateClientDto): Promise<Client> {
    if (scope.clientId !== null) throw new ForbiddenError('Only platform staff create clients');
    return this.db.transaction(async (m) => {
      await this.assertExternalIdFree(m.getRepository(Client), dto.externalId);
      const now = Date.now();
      const client = await m
        .getRepository(Client)
        .save({ name: dto.name, externalId: dto.externalId ?? null, timezone: dto.timezone ?? null, language: dto.language ?? 'en', createdAt: now });
      // Every client has a site from the start, where its devices go until it has more than one.
      await m.getRepository(Site).save({
        clientId: client.id,
        name: dto.name,
        address: null,
        timezone: null,
        contractedKWForaPonta: null,
        contractedKWPonta: null,
        readingDay: null,
        mainDeviceId: null,
        createdAt: now,
      });
      return client;
    });
  }

  async update(scope: ClientScope, id: number, dto: UpdateClientDto): Promise<Client> {
    await this.get(scope, id);
    if (dto.timezone !== undefined && scope.clientId !== null) throw new ForbiddenError("Only platform staff set a client's time zone");
    // How long the client's readings are kept is the platform's to decide (disk, contracts), not the client's.
    if (dto.retention !== undefined && scope.clientId !== null) throw new ForbiddenError("Only platform staff change a client's retention");
    // The prefix keeps a client to its own meters: the client may not widen it.
    if (dto.mqttTopicPrefix !== undefined && scope.clientId !== null) throw new ForbiddenError("Only platform staff set a client's MQTT topic prefix");
    const r = dto.retention;
    const retention: Partial<Client> = {
      ...(r?.rawDays !== undefined && { retentionRawDays: r.rawDays }),
      ...(r?.oneMinuteDays !== undefined && { retentionOneMinuteDays: r.oneMinuteDays }),
      ...(r?.fifteenMinuteDays !== undefined && { retentionFifteenMinuteDays: r.fifteenMinuteDays }),
      ...(r?.oneHourDays !== undefined && { retentionOneHourDays: r.oneHourDays }),
    };
    return this.db.transaction(async (m) => {
      const repo = m.getRepository(Client);
      if (dto.externalId !== undefined) await this.assertExternalIdFree(repo, dto.externalId, id);
      const changes = {
        ...(dto.name !== undefined && { name: dto.name }),
        ...(dto.externalId !== undefined && { externalId: dto.externalId }),
        ...(dto.timezone !== undefined && { timezone: dto.timezone }),
        ...(dto.language !== undefined && { language: dto.language }),
        ...(dto.mqttTopicPrefix !== undefined && { mqttTopicPrefix: dto.mqttTopicPrefix === null ? null : dto.mqttTopicPrefix.replace(/\/+$/, '') }),
        ...retention,
      };
      if (Object.keys(changes).length > 0) await repo.update({ id }, changes);
      return repo.findOneByOrFail({ id });
    });
  }

  async remove(scope: ClientScope, id: number): Promise<void> {
    await this.get(scope, id);
    await this.db.transaction(async (m) => {
      const devices = await m.getRepository(Device).countBy({ clientId: id });
      if (devices > 0) throw new ConflictError(`Client ${id} still has ${devices} device(s); delete or move them first`);
      // Accounts and keys in use are refused rather than taken along: someone still signs in or sends with them.
      const [{ n: users }] = await m.query(this.db.sql('SELECT COUNT(*) AS n FROM users WHERE client_id = ?'), [id]);
      if (Number(users) > 0) throw new ConflictError(`Client ${id} still has ${users} user(s); delete them first`);
      const [{ n: keys }] = await m.query(this.db.sql('SELECT COUNT(*) AS n FROM api_keys WHERE client_id = ? AND revoked_at IS NULL'), [id]);
      if (Number(keys) > 0) throw new ConflictError(`Client ${id} still has ${keys} API key(s) not revoked; revoke them first`);
      // Revoked keys no longer open anything: they go with the client.
      await m.query(this.db.sql('DELETE FROM api_keys WHERE client_id = ?'), [id]);
      await m.query(this.db.sql('DELETE FROM alarm_rules WHERE client_id = ?'), [id]);
      await m.query(this.db.sql('DELETE FROM tariffs WHERE client_id = ? OR site_id IN (SELECT id FROM sites WHERE client_id = ?)'), [id, id]);
      await m.query(this.db.sql('DELETE FROM sites WHERE client_id = ?'), [id]);
      await m.getRepository(Client).delete({ id });
    });
  }

  private async assertExternalIdFree(repo: Repository<Client>, externalId: string | undefined, exceptId?: number) {
    if (!externalId) return;
    const other = await repo.findOneBy({ externalId });
    if (other && other.id !== exceptId) throw new ConflictError(`externalId "${externalId}" is already used by client ${other.id}`);
  }
}
