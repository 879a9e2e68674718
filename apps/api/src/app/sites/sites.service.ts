import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, Not, Repository } from 'typeorm';
import { ClientsService } from '../clients/clients.service';
import { ClientScope } from '../common/client-scope';
import { ConflictError, InvalidInputError, NotFoundError } from '../common/domain-errors';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { Database } from '../database/database.service';
import { Device } from '../devices/entities/device.entity';
import { CreateSiteDto } from './dto/create-site.dto';
import { UpdateSiteDto } from './dto/update-site.dto';
import { Site } from './entities/site.entity';

/** Device types that never measure a plant: left out of a site's total. */
// A virtual meter's energy is its inputs', already counted: never part of a total.
const NOT_MEASURING_DEVICE_TYPES = ['simulator', 'virtual'];

@Injectable()
export class SitesService {
  constructor(
    @InjectRepository(Site) private readonly sites: Repository<Site>,
    @InjectRepository(Device) private readonly devices: Repository<Device>,
    private readonly clients: ClientsService,
    private readonly db: Database,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  list(scope: ClientScope, clientId?: number): Promise<Site[]> {
    if (scope.clientId !== null && clientId !== undefined && clientId !== scope.clientId) return Promise.resolve([]);
    const owner = scope.clientId ?? clientId;
    return this.sites.find({ where: owner === undefined ? {} : { clientId: owner }, order: { id: 'ASC' } });
  }

  async get(scope: ClientScope, id: number): Promise<Site> {
    const site = await this.sites.findOneBy({ id });
    if (!site || (scope.clientId !== null && site.clientId !== scope.clientId)) throw new NotFoundError(`Site ${id} not found`);
    return site;
  }

  async create(scope: ClientScope, dto: CreateSiteDto): Promise<Site> {
    await this.clients.get(scope, dto.clientId);
    return this.sites.save({
      clientId: dto.clientId,
      name: dto.name,
      address: dto.address ?? null,
      timezone: dto.timezone ?? null,
      contractedKWForaPonta: dto.contractedKW?.foraPonta ?? null,
      contractedKWPonta: dto.contractedKW?.ponta ?? null,
      readingDay: dto.readingDay ?? null,
      mainDeviceId: null,
      createdAt: Date.now(),
    });
  }

  async update(scope: ClientScope, id: number, dto: UpdateSiteDto): Promise<Site> {
    const site = await this.get(scope, id);
    return this.db.transaction(async (m) => {
      if (dto.mainDeviceId !== undefined && dto.mainDeviceId !== null) {
        const device = await m.getRepository(Device).findOneBy({ id: dto.mainDeviceId });
        // Another client's device is "not of this site" too: its existence is not told.
        if (!device || device.siteId !== id) {
          throw InvalidInputError.forFields([
            {
              field: 'mainDeviceId',
              message: `device ${dto.mainDeviceId} is not a device of site ${id}; move it to the site first (PATCH /api/devices/${dto.mainDeviceId} {siteId: ${id}})`,
            },
          ]);
        }
      }
      const c = dto.contractedKW;
      const changes: Partial<Site> = {
        ...(dto.name !== undefined && { name: dto.name }),
        ...(dto.address !== undefined && { address: dto.address }),
        ...(dto.timezone !== undefined && { timezone: dto.timezone }),
        ...(c?.foraPonta !== undefined && { contractedKWForaPonta: c.foraPonta }),
        ...(c?.ponta !== undefined && { contractedKWPonta: c.ponta }),
        ...(dto.readingDay !== undefined && { readingDay: dto.readingDay }),
        ...(dto.mainDeviceId !== undefined && { mainDeviceId: dto.mainDeviceId }),
      };
      if (Object.keys(changes).length > 0) await m.getRepository(Site).update({ id: site.id }, changes);
      return m.getRepository(Site).findOneByOrFail({ id: site.id });
    });
  }

  /** A site holding devices is not deleted (409): where they belong would be lost. Its tariffs go with it. */
  async remove(scope: ClientScope, id: number): Promise<void> {
    await this.get(scope, id);
    await this.db.transaction(async (m) => {
      const devices = await m.getRepository(Device).countBy({ siteId: id });
      if (devices > 0)
        throw new ConflictError(
          `Site ${id} still holds ${devices} device(s); move them to another site (PATCH /api/devices/:id {siteId}) or delete them first`,
        );
      await m.query(this.db.sql('DELETE FROM tariffs WHERE site_id = ?'), [id]);
      await m.getRepository(Site).delete({ id });
    });
  }

  /**
   * The devices whose energy makes the site's total: its main meter when one is set; else its active
   * devices that are not submeters (a submeter's energy is already in the meter upstream of it) and
   * not simulated (a simulated meter's readings are made up: `config.simulated`).
   */
  async devicesForTotal(siteId: number): Promise<Device[]> {
    const site = await this.sites.findOneBy({ id: siteId });
    if (!site) throw new NotFoundError(`Site ${siteId} not found`);
    if (site.mainDeviceId !== null) {
      const main = await this.devices.findOneBy({ id: site.mainDeviceId });
      if (main) return [main];
    }
    const devices = await this.devices.find({ where: { siteId, active: true, submeter: false }, order: { id: 'ASC' } });
    return devices.filter((d) => !NOT_MEASURING_DEVICE_TYPES.includes(d.deviceType) && !isSimulated(d));
  }

  /** The IANA time zone of the site's days: its own, else its client's, else PLANT_TIMEZONE. */
  async timezoneOf(site: Site): Promise<string> {
    return site.timezone ?? (await this.clients.dataSettings(site.clientId)).timezone;
  }

  /** The client's first site (where new devices go), or null when it has none. */
  async firstSiteOf(clientId: number, m?: EntityManager): Promise<number | null> {
    const first = await (m?.getRepository(Site) ?? this.sites).findOne({ where: { clientId }, order: { id: 'ASC' } });
    return first?.id ?? null;
  }

  /** Refuses (400 naming siteId) a site that is not the client's; another client's site reads as missing. */
  async assertSiteOfClient(siteId: number, clientId: number, m?: EntityManager): Promise<void> {
    const site = await (m?.getRepository(Site) ?? this.sites).findOneBy({ id: siteId, clientId });
    if (!site) throw InvalidInputError.forFields([{ field: 'siteId', message: `site ${siteId} is not a site of client ${clientId}` }]);
  }

  /** A device that leaves a site stops being that site's main meter. */
  async releaseMainDevice(deviceId: number, keepSiteId: number | null, m: EntityManager): Promise<void> {
    await m
      .getRepository(Site)
      .update(keepSiteId === null ? { mainDeviceId: deviceId } : { mainDeviceId: deviceId, id: Not(keepSiteId) }, { mainDeviceId: null });
  }
}

/** A device whose readings come from the simulator (its config says so): never part of a total. */
export function isSimulated(device: Pick<Device, 'config'>): boolean {
  return (device.config as { simulated?: unknown } | null)?.simulated === true;
}
