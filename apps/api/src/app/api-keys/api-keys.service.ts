import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { randomBytes } from 'node:crypto';
import { sha256 } from '../common/sha256';
import { Repository } from 'typeorm';
import { keyIsLive, PrincipalValidity } from '../auth/principal-validity';
import { ClientsService } from '../clients/clients.service';
import { ClientScope } from '../common/client-scope';
import { InvalidInputError, NotFoundError } from '../common/domain-errors';
import { Database } from '../database/database.service';
import { CreateApiKeyDto } from './dto/api-key.dto';
import { ApiKey } from './entities/api-key.entity';

/** lastUsedAt is written at most this often per key, so that ingest does not write a row per request. */
const LAST_USED_RESOLUTION_MS = 60_000;

@Injectable()
export class ApiKeysService {
  private readonly lastUsedWritten = new Map<number, number>();

  constructor(
    @InjectRepository(ApiKey) private readonly keys: Repository<ApiKey>,
    private readonly clients: ClientsService,
    private readonly db: Database,
    private readonly validity: PrincipalValidity,
  ) {}

  async create(scope: ClientScope, dto: CreateApiKeyDto, createdBy: number | null): Promise<{ key: string; record: ApiKey }> {
    const clientId = dto.clientId ?? scope.clientId;
    if (clientId === null || clientId === undefined)
      throw InvalidInputError.forFields([{ field: 'clientId', message: 'is required: an API key acts for one client' }]);
    await this.clients.get(scope, clientId);
    const key = `pm_${randomBytes(24).toString('base64url')}`;
    const record = await this.db.transaction((m) =>
      m.getRepository(ApiKey).save({
        clientId,
        name: dto.name,
        scope: dto.scope,
        keyHash: sha256(key),
        prefix: key.slice(0, 10),
        createdBy,
        createdAt: Date.now(),
        lastUsedAt: null,
        revokedAt: null,
      }),
    );
    return { key, record };
  }

  list(scope: ClientScope): Promise<ApiKey[]> {
    return this.keys.find({ where: scope.clientId === null ? {} : { clientId: scope.clientId }, order: { id: 'ASC' } });
  }

  async revoke(scope: ClientScope, id: number): Promise<void> {
    const key = await this.keys.findOneBy({ id });
    if (!key || (scope.clientId !== null && key.clientId !== scope.clientId)) throw new NotFoundError(`API key ${id} not found`);
    if (key.revokedAt === null) await this.db.transaction((m) => m.getRepository(ApiKey).update({ id }, { revokedAt: Date.now() }));
    this.validity.announce({ kind: 'apiKey', keyId: id });
  }

  /** The live key matching a presented secret, or null. */
  async authenticate(presented: string): Promise<ApiKey | null> {
    const key = await this.keys.findOneBy({ keyHash: sha256(presented) });
    if (!key || !keyIsLive(key)) return null;
    const now = Date.now();
    if (now - (this.lastUsedWritten.get(key.id) ?? 0) >= LAST_USED_RESOLUTION_MS) {
      this.lastUsedWritten.set(key.id, now);
      await this.db.transaction((m) => m.getRepository(ApiKey).update({ id: key.id }, { lastUsedAt: now }));
    }
    return key;
  }
}
