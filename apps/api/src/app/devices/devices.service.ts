import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { EntityManager, In, Repository } from 'typeorm';
import { AuditTrailService } from '../audit/audit-trail.service';
import { ClientsService } from '../clients/clients.service';
import { ClientScope } from '../common/client-scope';
import { ConflictError, ForbiddenError, InvalidInputError, NotFoundError, UnprocessableError } from '../common/domain-errors';
import { compileExpression, ExpressionError } from '../analytics/virtual-meter-expression';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { Database } from '../database/database.service';
import { SitesService } from '../sites/sites.service';
import { checkDeviceConfig } from './device-config';
import { DeviceReach } from './device-reach';
import { DeviceSecrets } from './device-secrets';
import { claimMqttTopic } from './mqtt-topics';
import { CreateDeviceDto } from './dto/create-device.dto';
import { UpdateDeviceDto } from './dto/update-device.dto';
import { Device } from './entities/device.entity';

/** The device types the poller reads (the others push their own readings). */
export const POLLED_DEVICE_TYPES = ['modbus', 'tuya'] as const;

/** The `revisions` row raised by every change of a device's settings (create, edit, delete). */
const DEVICE_SETTINGS_REVISION = 'device-settings';

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

@Injectable()
export class DevicesService {
  constructor(
    @InjectRepository(Device) private readonly devices: Repository<Device>,
    private readonly clients: ClientsService,
    private readonly db: Database,
    private readonly reach: DeviceReach,
    private readonly secrets: DeviceSecrets,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly audit: AuditTrailService,
    private readonly sites: SitesService,
  ) {}

  /** The active Modbus and Tuya devices of every client: what the poller reads (the database filters, not the caller). */
  listPolled(): Promise<Device[]> {
    return this.devices.find({ where: { active: true, deviceType: In([...POLLED_DEVICE_TYPES]) }, order: { id: 'ASC' } });
  }

  /**
   * A number that moves with every change of a device's settings on any instance sharing this
   * database (one indexed row: cheap to ask every second). Readings and poll bookkeeping leave it alone.
   */
  async settingsRevision(): Promise<number> {
    const [row] = await this.db.query<{ value: number | string }>('SELECT value FROM revisions WHERE name = ?', [DEVICE_SETTINGS_REVISION]);
    return Number(row?.value ?? 0);
  }

  private async raiseSettingsRevision(m: EntityManager): Promise<void> {
    await m.query(this.db.sql('UPDATE revisions SET value = value + 1 WHERE name = ?'), [DEVICE_SETTINGS_REVISION]);
  }

  /**
   * Refuses (409) when `adding` more devices would take the client past MAX_DEVICES_PER_CLIENT. Runs in
   * the transaction that creates them: on PostgreSQL the client's row is locked first, so two batches
   * at once count one after the other; SQLite runs write transactions one at a time anyway.
   */
  private async checkDeviceQuota(m: EntityManager, clientId: number, count: number | (() => Promise<number>)): Promise<void> {
    if (this.db.kind === 'postgres') await m.query('SELECT id FROM clients WHERE id = $1 FOR UPDATE', [clientId]);
    // Counted after the lock: what a batch adds depends on what the one before it created.
    const adding = typeof count === 'number' ? count : await count();
    if (adding <= 0) return;
    const [{ n }] = await this.db.query<{ n: number | string }>('SELECT COUNT(*) AS n FROM devices WHERE client_id = ?', [clientId], m);
    const max = this.config.maxDevicesPerClient;
    if (Number(n) + adding > max) {
      const [client] = await this.db.query<{ name: string }>('SELECT name FROM clients WHERE id = ?', [clientId], m);
      throw new ConflictError(
        `Client "${client?.name ?? clientId}" has ${plural(Number(n), 'device')}; ${plural(adding, 'more device')} would pass the limit of ${max} per client (MAX_DEVICES_PER_CLIENT). Delete devices it no longer uses, or raise the limit.`,
      );
    }
  }

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
  async getMany(scope: ClientScope, ids: number[]): Promise<Map<number, Pick<Device, 'id' | 'uid' | 'clientId' | 'deviceType'>>> {
    // Hand-written: this runs for every ingest batch, and the ORM's query building costs more than the query.
    const rows = await this.db.query<{ id: number; uid: string; client_id: number; device_type: Device['deviceType'] }>(
      `SELECT id, uid, client_id, device_type FROM devices WHERE id IN (${ids.map(() => '?').join(',')})`,
      ids,
    );
    const found = rows.map((r) => ({ id: Number(r.id), uid: r.uid, clientId: Number(r.client_id), deviceType: r.device_type }));
    const byId = new Map(found.filter((d) => scope.clientId === null || d.clientId === scope.clientId).map((d) => [d.id, d]));
    const missing = ids.filter((id) => !byId.has(id));
    if (missing.length) throw new NotFoundError(`Device${missing.length > 1 ? 's' : ''} ${missing.slice(0, 10).join(', ')} not found`);
    return byId;
  }

  /**
   * Devices by uid (readings forwarded from another instance, or pushed by a system that knows
   * the uid): a uid of the caller's client maps to its device; an unknown uid that `describe`
   * names is created under the caller's client as an `api` device (never polled, no config), when
   * the caller may create devices (`mayCreate`: a user or a `forward` key; else 403) and within the
   * client's device limit (409); a uid registered to another client is refused (409), never merged.
   * Devices created here do not raise the device-settings revision: `api` devices are never polled.
   * Returns uid -> id, and the uids created by this call.
   */
  async resolveUids(
    scope: ClientScope,
    uids: string[],
    describe: (uid: string) => { name: string; clientExternalId?: string } | undefined,
    options: { mayCreate: boolean },
  ): Promise<{ ids: Map<string, number>; created: string[] }> {
    const ids = new Map<string, number>();
    const lookUp = async () => {
      const rows = await this.db.query<{ id: number; uid: string; client_id: number }>(
        `SELECT id, uid, client_id FROM devices WHERE uid IN (${uids.map(() => '?').join(',')})`,
        uids,
      );
      for (const r of rows) {
        if (scope.clientId !== null && Number(r.client_id) !== scope.clientId)
          throw new ConflictError(`Device uid ${r.uid} cannot be used by this client: it is registered to another client on this instance`);
        ids.set(r.uid, Number(r.id));
      }
    };
    await lookUp();
    const missing = uids.filter((uid) => !ids.has(uid));
    if (missing.length === 0) return { ids, created: [] };
    const named = `Device uid${missing.length > 1 ? 's' : ''} ${missing.slice(0, 10).join(', ')}`;
    if (!options.mayCreate) {
      throw new ForbiddenError(
        `${named} not found: an API key of scope "ingest" writes readings of existing devices only; a key of scope "forward" may also create the devices it names`,
      );
    }
    const undescribed = missing.filter((uid) => !describe(uid));
    if (undescribed.length)
      throw new NotFoundError(
        `Device uid${undescribed.length > 1 ? 's' : ''} ${undescribed.slice(0, 10).join(', ')} not found (describe new devices in "devices")`,
      );
    const clientId = scope.clientId;
    if (clientId === null) throw new NotFoundError(`${named} not found; new devices are created only for a client's API key or user`);
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
      // Devices are counted in the transaction that creates them, so that concurrent batches cannot pass the limit together.
      await this.checkDeviceQuota(m, clientId, () => this.stillMissing(m, missing));
      for (const uid of missing) {
        // ON CONFLICT: a concurrent batch (or another client) may have taken the uid meanwhile; the look-up below decides.
        await m.query(
          // In the client's first site, as every new device without a siteId.
          this.db.sql(
            `INSERT INTO devices (uid, client_id, site_id, name, device_type, active, poll_interval_sec, config, consecutive_failures, created_at) VALUES (?, ?, (SELECT MIN(id) FROM sites WHERE client_id = ?), ?, 'api', ?, 30, '{}', 0, ?) ON CONFLICT (uid) DO NOTHING`,
          ),
          [uid, clientId, clientId, (describe(uid) as { name: string }).name, this.db.kind === 'postgres' ? true : 1, now],
        );
      }
    });
    await lookUp();
    return { ids, created: missing };
  }

  /** How many of these uids no device has yet (a concurrent batch may have created some meanwhile). */
  private async stillMissing(m: EntityManager, uids: string[]): Promise<number> {
    const [{ n }] = await this.db.query<{ n: number | string }>(`SELECT COUNT(*) AS n FROM devices WHERE uid IN (${uids.map(() => '?').join(',')})`, uids, m);
    return uids.length - Number(n);
  }

  async create(scope: ClientScope, dto: CreateDeviceDto): Promise<Device> {
    await this.clients.get(scope, dto.clientId);
    const checked = checkDeviceConfig(dto.deviceType, dto.config ?? {});
    if (dto.deviceType === 'virtual') await this.checkVirtualInputs(scope, dto.clientId, checked, null);
    const connectionSetByClient = await this.reach.check(scope, dto.deviceType, checked);
    const uid = randomUUID();
    const config = this.secrets.seal(uid, checked);
    return this.db.transaction(async (m) => {
      await this.checkDeviceQuota(m, dto.clientId, 1);
      if (dto.siteId !== undefined) await this.sites.assertSiteOfClient(dto.siteId, dto.clientId, m);
      const siteId = dto.siteId ?? (await this.sites.firstSiteOf(dto.clientId, m));
      const mqttTopic = await claimMqttTopic(this.db, m, dto.deviceType, checked, dto.clientId);
      await this.raiseSettingsRevision(m);
      return m.getRepository(Device).save({
        mqttTopic,
        uid,
        clientId: dto.clientId,
        siteId,
        submeter: dto.submeter ?? false,
        name: dto.name,
        deviceType: dto.deviceType,
        active: dto.active ?? true,
        pollIntervalSec: dto.pollIntervalSec ?? 30,
        maxPowerW: dto.maxPowerW ?? null,
        config,
        lastSeenAt: null,
        lastError: null,
        lastErrorForClient: null,
        connectionSetByClient,
        consecutiveFailures: 0,
        createdAt: Date.now(),
      });
    });
  }

  /**
   * A virtual meter's expressions parse (restricted mathjs; 400 naming the metric and the position)
   * and its inputs are measuring devices of its own client (another client's: 404 as if absent).
   */
  private async checkVirtualInputs(scope: ClientScope, clientId: number, config: Record<string, unknown>, selfId: number | null): Promise<void> {
    const { inputs, metrics } = config as { inputs: Record<string, number>; metrics: Record<string, string> };
    for (const [metric, text] of Object.entries(metrics)) {
      try {
        compileExpression(text, Object.keys(inputs));
      } catch (err) {
        if (!(err instanceof ExpressionError)) throw err;
        throw InvalidInputError.forFields([
          {
            field: `config.metrics.${metric}`,
            message: `config.metrics.${metric} ${err.message}${err.position !== null ? ` (at character ${err.position})` : ''}`,
          },
        ]);
      }
    }
    for (const [name, id] of Object.entries(inputs)) {
      const input = await this.get(scope, id);
      const field = `config.inputs.${name}`;
      if (input.clientId !== clientId) throw InvalidInputError.forFields([{ field, message: `${field}: device ${id} belongs to another client` }]);
      if (id === selfId) throw InvalidInputError.forFields([{ field, message: `${field}: a virtual meter cannot read itself` }]);
      if (input.deviceType === 'virtual')
        throw InvalidInputError.forFields([{ field, message: `${field}: device ${id} is itself virtual; name the meters it reads instead` }]);
    }
  }

  /**
   * Checked on every read of a virtual meter: each input is still a device of the meter's own client
   * that the caller may see. An input could have been moved or deleted since the meter was saved, and
   * the meter must never compute with another client's readings (404 for an input the caller cannot
   * see, 422 naming the input that left the meter's client).
   */
  async assertVirtualInputs(scope: ClientScope, meter: Device): Promise<Record<string, number>> {
    const inputs = ((meter.config as { inputs?: Record<string, number> }).inputs ?? {}) as Record<string, number>;
    for (const [name, id] of Object.entries(inputs)) {
      const input = await this.devices.findOneBy({ id });
      if (!input || (scope.clientId !== null && input.clientId !== scope.clientId))
        throw new NotFoundError(`Virtual meter ${meter.id}: its input "${name}" (device ${id}) no longer exists`);
      if (input.clientId !== meter.clientId)
        throw new UnprocessableError(`Virtual meter ${meter.id}: its input "${name}" (device ${id}) now belongs to another client; edit the meter's inputs`);
    }
    return inputs;
  }

  /**
   * What reads this device's readings on behalf of its client: virtual meters naming it as an input
   * and saved energy baselines (of it or with it as a driver). Moving the device to another client
   * or deleting it would leave those reading across clients or nothing, so both are refused (409);
   * a deleted device's own baselines go with it (`ownBaselines` false).
   */
  private async readersOf(id: number, m: EntityManager, ownBaselines = true): Promise<string[]> {
    const found: string[] = [];
    const virtuals = await (m ? m.getRepository(Device) : this.devices).find({ where: { deviceType: 'virtual' }, order: { id: 'ASC' } });
    for (const v of virtuals) {
      const inputs = (v.config as { inputs?: Record<string, number> }).inputs ?? {};
      if (v.id !== id && Object.values(inputs).includes(id)) found.push(`virtual meter ${v.id} (${v.name})`);
    }
    const baselines = await this.db.query<{ id: number | string; name: string; device_id: number | string; drivers: string }>(
      'SELECT id, name, device_id, drivers FROM energy_baselines ORDER BY id',
      [],
      m,
    );
    for (const b of baselines) {
      const drivers = (JSON.parse(b.drivers) as Array<{ deviceId: number }>).map((d) => d.deviceId);
      if ((ownBaselines && Number(b.device_id) === id) || drivers.includes(id)) found.push(`baseline ${Number(b.id)} (${b.name})`);
    }
    return found;
  }

  async update(scope: ClientScope, id: number, dto: UpdateDeviceDto): Promise<Device> {
    const device = await this.get(scope, id);
    if (dto.clientId !== undefined && dto.clientId !== device.clientId) await this.clients.get(scope, dto.clientId);
    const deviceType = dto.deviceType ?? device.deviceType;
    const configChanged = dto.config !== undefined || dto.deviceType !== undefined;
    let config = device.config;
    let checked: Record<string, unknown> | undefined;
    let connectionSetByClient = device.connectionSetByClient;
    if (configChanged) {
      // Secrets left out are kept: validated in plain with the rest, then sealed again.
      const settings = dto.config === undefined ? this.secrets.open(device) : this.secrets.keepStoredSecrets(device, dto.config);
      checked = checkDeviceConfig(deviceType, settings);
      if (deviceType === 'virtual') await this.checkVirtualInputs(scope, dto.clientId ?? device.clientId, checked, device.id);
      // Only connection settings that change are checked against the caller (see DeviceReach).
      connectionSetByClient = await this.reach.check(scope, deviceType, checked, device);
      config = this.secrets.seal(device.uid, checked);
    }
    return this.db.transaction(async (m) => {
      // Moving a device to another client counts against that client's limit.
      const movesClient = dto.clientId !== undefined && dto.clientId !== device.clientId;
      if (movesClient) {
        const readers = await this.readersOf(id, m);
        if (readers.length)
          throw new ConflictError(`Device ${id} is read by ${readers.join(', ')} of its client; change or delete those before moving it to another client`);
        if (device.deviceType === 'virtual' && deviceType === 'virtual' && dto.config === undefined) {
          throw new ConflictError(`Virtual meter ${id} reads meters of its client; give its new client's inputs in config when moving it`);
        }
        await this.checkDeviceQuota(m, dto.clientId as number, 1);
      }
      const clientId = dto.clientId ?? device.clientId;
      if (dto.siteId !== undefined) await this.sites.assertSiteOfClient(dto.siteId, clientId, m);
      // A device moved to another client without a siteId goes to that client's first site.
      const siteId = dto.siteId ?? (movesClient ? await this.sites.firstSiteOf(clientId, m) : device.siteId);
      if (siteId !== device.siteId) await this.sites.releaseMainDevice(id, siteId, m);
      // Moving an mqtt device to another client holds its topic to that client's prefix.
      const mqttTopic =
        checked !== undefined || dto.clientId !== undefined
          ? await claimMqttTopic(this.db, m, deviceType, checked ?? this.secrets.open(device), clientId, device.id)
          : device.mqttTopic;
      await this.raiseSettingsRevision(m);
      return m.getRepository(Device).save({
        ...device,
        mqttTopic,
        ...(dto.clientId !== undefined && { clientId: dto.clientId }),
        siteId,
        ...(dto.submeter !== undefined && { submeter: dto.submeter }),
        ...(dto.name !== undefined && { name: dto.name }),
        ...(dto.active !== undefined && { active: dto.active }),
        ...(dto.pollIntervalSec !== undefined && { pollIntervalSec: dto.pollIntervalSec }),
        ...(dto.maxPowerW !== undefined && { maxPowerW: dto.maxPowerW }),
        deviceType,
        config,
        connectionSetByClient,
        // New settings deserve a fresh start: no inherited backoff.
        ...(configChanged && { consecutiveFailures: 0, lastError: null, lastErrorForClient: null }),
      });
    });
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
      const readers = await this.readersOf(id, m, false);
      if (readers.length) throw new ConflictError(`Device ${id} is read by ${readers.join(', ')}; change or delete those first`);
      const [{ n }] = await this.db.query<{ n: number | string }>('SELECT COUNT(*) AS n FROM measurements WHERE device_id = ?', [id], m);
      if (Number(n) > 0 && !purge) {
        throw new ConflictError(`Device ${id} has ${Number(n)} stored values; deactivate it instead, or delete with ?purge=true to remove its readings too`);
      }
      if (Number(n) === 0 && !purge) {
        // Retention may have removed the raw readings: the rollups are then all that is left of them.
        const [rolled] = await this.db.query('SELECT 1 AS x FROM rollups WHERE device_id = ? LIMIT 1', [id], m);
        if (rolled)
          throw new ConflictError(
            `Device ${id} has rollups of readings that retention removed; deactivate it instead, or delete with ?purge=true to remove them too`,
          );
      }
      for (const sql of [
        'DELETE FROM measurements WHERE device_id = ?',
        'DELETE FROM rollups WHERE device_id = ?',
        'DELETE FROM rollup_backfill WHERE device_id = ?',
        'DELETE FROM energy_quarters WHERE device_id = ?',
        'DELETE FROM energy_backfill WHERE device_id = ?',
        'DELETE FROM alarm_events WHERE device_id = ?',
        'DELETE FROM alarm_rules WHERE device_id = ?',
        'DELETE FROM energy_baselines WHERE device_id = ?',
        'UPDATE sites SET main_device_id = NULL WHERE main_device_id = ?',
        'DELETE FROM devices WHERE id = ?',
      ]) {
        await m.query(this.db.sql(sql), [id]);
      }
      await this.raiseSettingsRevision(m);
      if (Number(n) === 0) return undefined;
      return this.audit.stage(m, [
        {
          ts: new Date().toISOString(),
          deviceId: id,
          deviceUid: device.uid,
          source: 'api',
          metrics: {},
          event: 'device-purged',
          actor,
          purgedValues: Number(n),
        },
      ]);
    });
    await this.audit.append(purged);
  }

  /** Poll bookkeeping: a success resets the failure count. */
  async recordPollSuccess(id: number, at: number): Promise<void> {
    await this.db.transaction((m) =>
      m.getRepository(Device).update({ id }, { lastSeenAt: at, lastError: null, lastErrorForClient: null, consecutiveFailures: 0 }),
    );
  }

  /** `error` in full for platform staff, `errorForClient` as the client's users see it (errorForClientUser). */
  async recordPollFailure(id: number, error: string, errorForClient: string): Promise<Device | null> {
    return this.db.transaction(async (m) => {
      const repo = m.getRepository(Device);
      await repo.increment({ id }, 'consecutiveFailures', 1);
      await repo.update({ id }, { lastError: error.slice(0, 1000), lastErrorForClient: errorForClient.slice(0, 1000) });
      return repo.findOneBy({ id });
    });
  }
}
