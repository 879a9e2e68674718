import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { Repository } from 'typeorm';
import { AuditTrailService } from '../audit/audit-trail.service';
import { ClientsService } from '../clients/clients.service';
import { ClientScope } from '../common/client-scope';
import { ConflictError, NotFoundError } from '../common/domain-errors';
import { Database } from '../database/database.service';
import { checkDeviceConfig, keepWriteOnlySecrets } from './device-config';
import { CreateDeviceDto } from './dto/create-device.dto';
import { UpdateDeviceDto } from './dto/update-device.dto';
import { Device } from './entities/device.entity';

@Injectable()
export class DevicesService {
  constructor(
    @InjectRepository(Device) private readonly devices: Repository<Device>,
    private readonly clients: ClientsService,
    private readonly db: Database,
    private readonly audit: AuditTrailService,
  ) {}

  list(scope: ClientScope, clientId?: number): Promise<Device[]> {
    if (scope.clientId !== null && clientId !== undefined && clientId !== scope.clientId) return Promise.resolve([]);
    const owner = scope.clientId ?? clientId;
    return this.devices.find({ where: owner === undefined ? {} : { clientId: owner }, order: { id: 'ASC' } });
  }

  async get(scope: ClientScope, id: number): Promise<Device> {
    const device = await this.devices.findOneBy({ id });
    if (!device || (scope.clientId !== null && device.clientId !== scope.clientId)) throw new NotFoundError(`Device ${id} not found`);
    return device;
  }

  /** Devices by id, all within the scope; any missing id is a 404 naming it. */
  async getMany(scope: ClientScope, ids: number[]): Promise<Map<number, Pick<Device, 'id' | 'uid' | 'clientId'>>> {
    // Hand-written: this runs for every ingest batch, and the ORM's query building costs more than the query.
    const rows = await this.db.query<{ id: number; uid: string; client_id: number }>(`SELECT id, uid, client_id FROM devices WHERE id IN (${ids.map(() => '?').join(',')})`, ids);
    const found = rows.map((r) => ({ id: Number(r.id), uid: r.uid, clientId: Number(r.client_id) }));
    const byId = new Map(found.filter((d) => scope.clientId === null || d.clientId === scope.clientId).map((d) => [d.id, d]));
    const missing = ids.filter((id) => !byId.has(id));
    if (missing.length) throw new NotFoundError(`Device${missing.length > 1 ? 's' : ''} ${missing.slice(0, 10).join(', ')} not found`);
    return byId;
  }

  /**
   * Devices by uid (readings forwarded from another instance, or pushed by a system that knows
   * the uid): a uid of the caller's client maps to its device; an unknown uid that `describe`
   * names is created under the caller's client as an `api` device (never polled, no config);
   * a uid registered to another client is refused (409), never merged.
   * Returns uid -> id, and the uids created by this call.
   */
  async resolveUids(
    scope: ClientScope,
    uids: string[],
    describe: (uid: string) => { name: string; clientExternalId?: string } | undefined,
  ): Promise<{ ids: Map<string, number>; created: string[] }> {
    const ids = new Map<string, number>();
    const lookUp = async () => {
      const rows = await this.db.query<{ id: number; uid: string; client_id: number }>(`SELECT id, uid, client_id FROM devices WHERE uid IN (${uids.map(() => '?').join(',')})`, uids);
      for (const r of rows) {
        if (scope.clientId !== null && Number(r.client_id) !== scope.clientId) throw new ConflictError(`Device uid ${r.uid} cannot be used by this client: it is registered to another client on this instance`);
        ids.set(r.uid, Number(r.id));
      }
    };
    await lookUp();
    const missing = uids.filter((uid) => !ids.has(uid));
    if (missing.length === 0) return { ids, created: [] };
    const undescribed = missing.filter((uid) => !describe(uid));
    if (undescribed.length) throw new NotFoundError(`Device uid${undescribed.length > 1 ? 's' : ''} ${undescribed.slice(0, 10).join(', ')} not found (describe new devices in "devices")`);
    const clientId = scope.clientId;
    if (clientId === null) throw new NotFoundError(`Device uid${missing.length > 1 ? 's' : ''} ${missing.slice(0, 10).join(', ')} not found; new devices are created only for a client's API key or user`);
    // The sender says whose device it is; a key of another client (by external id) must not adopt it.
    const [client] = await this.db.query<{ external_id: string | null }>('SELECT external_id FROM clients WHERE id = ?', [clientId]);
    for (const uid of missing) {
      const claimed = describe(uid)?.clientExternalId;
      if (claimed !== undefined && client?.external_id && claimed !== client.external_id) {
        throw new ConflictError(`Device uid ${uid} belongs to client "${claimed}" at the sender, but this API key is of client "${client.external_id}"`);
      }
    }
    const now = Date.now();
    await this.db.transaction(async (m) => {
      for (const uid of missing) {
        // ON CONFLICT: a concurrent batch (or another client) may have taken the uid meanwhile; the look-up below decides.
        await m.query(
          this.db.sql(`INSERT INTO devices (uid, client_id, name, device_type, active, poll_interval_sec, config, consecutive_failures, created_at) VALUES (?, ?, ?, 'api', ?, 30, '{}', 0, ?) ON CONFLICT (uid) DO NOTHING`),
          [uid, clientId, (describe(uid) as { name: string }).name, this.db.kind === 'postgres' ? true : 1, now],
        );
      }
    });
    await lookUp();
    return { ids, created: missing };
  }

  async create(scope: ClientScope, dto: CreateDeviceDto): Promise<Device> {
    await this.clients.get(scope, dto.clientId);
    const config = checkDeviceConfig(dto.deviceType, dto.config ?? {});
    return this.db.transaction((m) =>
      m.getRepository(Device).save({
        uid: randomUUID(),
        clientId: dto.clientId,
        name: dto.name,
        deviceType: dto.deviceType,
        active: dto.active ?? true,
        pollIntervalSec: dto.pollIntervalSec ?? 30,
        config,
        lastSeenAt: null,
        lastError: null,
        consecutiveFailures: 0,
        createdAt: Date.now(),
      }),
    );
  }

  async update(scope: ClientScope, id: number, dto: UpdateDeviceDto): Promise<Device> {
    const device = await this.get(scope, id);
    if (dto.clientId !== undefined && dto.clientId !== device.clientId) await this.clients.get(scope, dto.clientId);
    const deviceType = dto.deviceType ?? device.deviceType;
    const configChanged = dto.config !== undefined || dto.deviceType !== undefined;
    const config = configChanged
      ? checkDeviceConfig(deviceType, keepWriteOnlySecrets(device.config, dto.config ?? device.config))
      : device.config;
    return this.db.transaction((m) =>
      m.getRepository(Device).save({
        ...device,
        ...(dto.clientId !== undefined && { clientId: dto.clientId }),
        ...(dto.name !== undefined && { name: dto.name }),
        ...(dto.active !== undefined && { active: dto.active }),
        ...(dto.pollIntervalSec !== undefined && { pollIntervalSec: dto.pollIntervalSec }),
        deviceType,
        config,
        // New settings deserve a fresh start: no inherited backoff.
        ...(configChanged && { consecutiveFailures: 0, lastError: null }),
      }),
    );
  }

  /**
   * Deleting a device that has readings needs `purge`: readings are the plant's record and go only on
   * purpose, and the audit trail says so (a `device-purged` line with who did it and how many values
   * went), committed with the delete, so that audit:verify knows why they are no longer stored.
   */
  async remove(scope: ClientScope, id: number, purge: boolean, actor: string): Promise<void> {
    const device = await this.get(scope, id);
    this.audit.assertAccepting();
    const purged = await this.db.transaction(async (m) => {
      const [{ n }] = await this.db.query<{ n: number | string }>('SELECT COUNT(*) AS n FROM measurements WHERE device_id = ?', [id], m);
      if (Number(n) > 0 && !purge) {
        throw new ConflictError(`Device ${id} has ${Number(n)} stored values; deactivate it instead, or delete with ?purge=true to remove its readings too`);
      }
      for (const sql of [
        'DELETE FROM measurements WHERE device_id = ?',
        'DELETE FROM alarm_events WHERE device_id = ?',
        'DELETE FROM alarm_rules WHERE device_id = ?',
        'DELETE FROM devices WHERE id = ?',
      ]) {
        await m.query(this.db.sql(sql), [id]);
      }
      if (Number(n) === 0) return undefined;
      return this.audit.stage(m, [{ ts: new Date().toISOString(), deviceId: id, deviceUid: device.uid, source: 'api', metrics: {}, event: 'device-purged', actor, purgedValues: Number(n) }]);
    });
    await this.audit.append(purged);
  }

  /** Poll bookkeeping: a success resets the failure count. */
  async recordPollSuccess(id: number, at: number): Promise<void> {
    await this.db.transaction((m) => m.getRepository(Device).update({ id }, { lastSeenAt: at, lastError: null, consecutiveFailures: 0 }));
  }

  async recordPollFailure(id: number, error: string): Promise<Device | null> {
    return this.db.transaction(async (m) => {
      const repo = m.getRepository(Device);
      await repo.increment({ id }, 'consecutiveFailures', 1);
      await repo.update({ id }, { lastError: error.slice(0, 1000) });
      return repo.findOneBy({ id });
    });
  }
}
