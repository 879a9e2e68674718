import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Between, EntityManager, In, Repository } from 'typeorm';
import { ClientsService } from '../clients/clients.service';
import { ClientScope } from '../common/client-scope';
import { ConflictError, InvalidInputError, NotFoundError } from '../common/domain-errors';
import { offsetAt } from '../common/time-zones';
import { Database } from '../database/database.service';
import { Site } from '../sites/entities/site.entity';
import { SitesService } from '../sites/sites.service';
import { CreateTariffDto } from './dto/create-tariff.dto';
import { UpdateTariffDto } from './dto/update-tariff.dto';
import { TariffQuery } from './dto/tariff.query';
import { Bandeira } from './entities/bandeira.entity';
import { Tariff } from './entities/tariff.entity';
import { TariffCalculator } from './tariff-calculator';
import { problemsOf, TariffTerms } from './tariff-terms';

/** Whose tariff: a whole client's, or one site's. */
export type TariffOwner = { clientId: number } | { siteId: number };

/** The local calendar date 'YYYY-MM-DD' of an instant in a time zone. */
const localDate = (ms: number, timeZone: string) => new Date(ms + offsetAt(ms, timeZone)).toISOString().slice(0, 10);

const termsOf = (t: Tariff): TariffTerms => ({
  modality: t.modality,
  validFrom: t.validFrom,
  energy: t.energy,
  demand: t.demand,
  windows: t.windows,
  holidays: t.holidays,
  taxes: t.taxes,
});

/**
 * The versions in force, day by day, for a site whose own versions override its client's: from each
 * date on which either list changes, the site's latest version if it has one by then, else the
 * client's. Each entry carries the date it takes over from.
 */
export function versionsInForce(siteVersions: readonly TariffTerms[], clientVersions: readonly TariffTerms[]): TariffTerms[] {
  const latest = (list: readonly TariffTerms[], date: string) =>
    list.filter((v) => v.validFrom <= date).sort((a, b) => (a.validFrom < b.validFrom ? 1 : -1))[0];
  const dates = [...new Set([...siteVersions, ...clientVersions].map((v) => v.validFrom))].sort();
  const out: TariffTerms[] = [];
  let previous: TariffTerms | undefined;
  for (const date of dates) {
    const v = latest(siteVersions, date) ?? latest(clientVersions, date);
    if (v && v !== previous) out.push({ ...v, validFrom: date });
    previous = v;
  }
  return out;
}

@Injectable()
export class TariffsService {
  constructor(
    @InjectRepository(Tariff) private readonly tariffs: Repository<Tariff>,
    @InjectRepository(Bandeira) private readonly bandeiras: Repository<Bandeira>,
    @InjectRepository(Site) private readonly siteRows: Repository<Site>,
    private readonly clients: ClientsService,
    private readonly sites: SitesService,
    private readonly db: Database,
  ) {}

  /** The client a tariff belongs to (its own, or its site's). */
  private async ownerClientOf(t: Pick<Tariff, 'clientId' | 'siteId'>): Promise<number | null> {
    if (t.clientId !== null) return t.clientId;
    const site = await this.siteRows.findOneBy({ id: t.siteId as number });
    return site?.clientId ?? null;
  }

  async list(scope: ClientScope, query: TariffQuery): Promise<Tariff[]> {
    if (query.clientId !== undefined && query.siteId !== undefined) {
      throw InvalidInputError.forFields([{ field: 'siteId', message: 'give clientId or siteId, not both' }]);
    }
    if (query.siteId !== undefined) {
      // Another client's site lists nothing rather than telling that it exists.
      const site = await this.siteRows.findOneBy({ id: query.siteId });
      if (!site || (scope.clientId !== null && site.clientId !== scope.clientId)) return [];
      return this.tariffs.find({ where: { siteId: query.siteId }, order: { validFrom: 'ASC', id: 'ASC' } });
    }
    if (query.clientId !== undefined) {
      if (scope.clientId !== null && query.clientId !== scope.clientId) return [];
      return this.tariffs.find({ where: { clientId: query.clientId }, order: { validFrom: 'ASC', id: 'ASC' } });
    }
    if (scope.clientId === null) return this.tariffs.find({ order: { id: 'ASC' } });
    const siteIds = (await this.sites.list(scope)).map((s) => s.id);
    return this.tariffs.find({ where: [{ clientId: scope.clientId }, ...(siteIds.length ? [{ siteId: In(siteIds) }] : [])], order: { id: 'ASC' } });
  }

  async get(scope: ClientScope, id: number): Promise<Tariff> {
    const tariff = await this.tariffs.findOneBy({ id });
    if (!tariff) throw new NotFoundError(`Tariff ${id} not found`);
    const owner = await this.ownerClientOf(tariff);
    if (scope.clientId !== null && owner !== scope.clientId) throw new NotFoundError(`Tariff ${id} not found`);
    return tariff;
  }

  async create(scope: ClientScope, dto: CreateTariffDto): Promise<Tariff> {
    if ((dto.clientId === undefined) === (dto.siteId === undefined)) {
      throw InvalidInputError.forFields([
        dto.clientId === undefined
          ? { field: 'clientId', message: "give clientId (the client's tariff) or siteId (one site's)" }
          : { field: 'siteId', message: 'give clientId or siteId, not both' },
      ]);
    }
    if (dto.clientId !== undefined) await this.clients.get(scope, dto.clientId);
    else await this.sites.get(scope, dto.siteId as number);
    const terms: TariffTerms = {
      modality: dto.modality,
      validFrom: dto.validFrom,
      energy: dto.energy,
      demand: dto.demand ?? { foraPonta: 0 },
      windows: dto.windows ?? [],
      holidays: dto.holidays ?? 'BR',
      taxes: dto.taxes ?? { icms: 0, pis: 0, cofins: 0 },
    };
    this.assertPriceable(terms);
    return this.db.transaction(async (m) => {
      const owner = { clientId: dto.clientId ?? null, siteId: dto.siteId ?? null };
      await this.assertValidFromFree(m, owner, terms.validFrom);
      return m.getRepository(Tariff).save({ ...owner, name: dto.name, currency: dto.currency, ...plain(terms), createdAt: Date.now() });
    });
  }

  async update(scope: ClientScope, id: number, dto: UpdateTariffDto): Promise<Tariff> {
    const tariff = await this.get(scope, id);
    // Absent leaves a field as it is; null would empty one that every tariff has.
    const nulls = Object.entries(dto)
      .filter(([, v]) => v === null)
      .map(([field]) => ({ field, message: 'must not be null (leave it out to keep it)' }));
    if (nulls.length) throw InvalidInputError.forFields(nulls);
    const terms: TariffTerms = {
      modality: dto.modality ?? tariff.modality,
      validFrom: dto.validFrom ?? tariff.validFrom,
      energy: dto.energy ?? tariff.energy,
      demand: dto.demand ?? tariff.demand,
      windows: dto.windows ?? tariff.windows,
      holidays: dto.holidays ?? tariff.holidays,
      taxes: dto.taxes ?? tariff.taxes,
    };
    this.assertPriceable(terms);
    return this.db.transaction(async (m) => {
      if (terms.validFrom !== tariff.validFrom) await this.assertValidFromFree(m, tariff, terms.validFrom);
      await m
        .getRepository(Tariff)
        .update({ id }, { ...(dto.name !== undefined && { name: dto.name }), ...(dto.currency !== undefined && { currency: dto.currency }), ...plain(terms) });
      return m.getRepository(Tariff).findOneByOrFail({ id });
    });
  }

  async remove(scope: ClientScope, id: number): Promise<void> {
    await this.get(scope, id);
    await this.tariffs.delete({ id });
  }

  /**
   * What prices the energy of a client or a site from `from` to `to` (epoch ms): the tariff versions in
   * force over that time (a site's own override its client's), the bandeiras of its months and its
   * time zone. Null when no tariff applies at any time of it. Not scoped: the caller has checked
   * that the client or site is the caller's.
   */
  async calculatorFor(owner: TariffOwner, from: number, to: number): Promise<TariffCalculator | null> {
    let timeZone: string;
    let versions: TariffTerms[];
    const byDate = { order: { validFrom: 'ASC' as const, id: 'ASC' as const } };
    if ('siteId' in owner) {
      const site = await this.siteRows.findOneBy({ id: owner.siteId });
      if (!site) return null;
      timeZone = await this.sites.timezoneOf(site);
      const own = (await this.tariffs.find({ where: { siteId: site.id }, ...byDate })).map(termsOf);
      const clients = (await this.tariffs.find({ where: { clientId: site.clientId }, ...byDate })).map(termsOf);
      versions = versionsInForce(own, clients);
    } else {
      timeZone = (await this.clients.dataSettings(owner.clientId)).timezone;
      versions = versionsInForce([], (await this.tariffs.find({ where: { clientId: owner.clientId }, ...byDate })).map(termsOf));
    }
    const first = localDate(from, timeZone);
    const last = localDate(to, timeZone);
    // The version in force on the first day, and every one that takes over later in the range.
    const startIndex = versions.reduce((found, v, i) => (v.validFrom <= first ? i : found), 0);
    const inRange = versions.slice(startIndex).filter((v) => v.validFrom <= last);
    if (inRange.length === 0) return null;
    const bandeiras = await this.bandeiras.findBy({ month: Between(first.slice(0, 7), last.slice(0, 7)) });
    return new TariffCalculator(inRange, bandeiras, timeZone);
  }

  private assertPriceable(terms: TariffTerms): void {
    const problems = problemsOf(terms);
    if (problems.length) throw InvalidInputError.forFields(problems);
  }

  /** Two versions of one client or site from the same date would leave which applies to chance (409). */
  private async assertValidFromFree(m: EntityManager, owner: { clientId: number | null; siteId: number | null }, validFrom: string): Promise<void> {
    const where = owner.siteId !== null ? { siteId: owner.siteId, validFrom } : { clientId: owner.clientId as number, validFrom };
    const other = await m.getRepository(Tariff).findOneBy(where);
    if (other) throw new ConflictError(`validFrom ${validFrom}: tariff ${other.id} ("${other.name}") already applies from that date; change it instead`);
  }
}

/** The terms as stored: only their own fields (the DTO classes carry nothing more, but are classes). */
function plain(t: TariffTerms): Omit<TariffTerms, never> {
  return JSON.parse(
    JSON.stringify({
      modality: t.modality,
      validFrom: t.validFrom,
      energy: t.energy,
      demand: t.demand,
      windows: t.windows,
      holidays: t.holidays,
      taxes: t.taxes,
    }),
  );
}
