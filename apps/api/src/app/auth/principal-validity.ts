import { Injectable } from '@nestjs/common';
import { Observable, Subject } from 'rxjs';
import type { ApiKeyScope } from '../api-keys/entities/api-key.entity';
import { Database } from '../database/database.service';
import type { Principal } from './principal';

/** An API key that may act now. */
export interface LiveKey {
  keyId: number;
  scope: ApiKeyScope;
  clientId: number;
}

/** Who changed: a user or an API key. */
export type PrincipalRef = { kind: 'user'; userId: number } | { kind: 'apiKey'; keyId: number };

/** One name per user or key ("user:3", "key:7"), for maps and logs. */
export const principalKey = (p: Principal | PrincipalRef): string => (p.kind === 'user' ? `user:${p.userId}` : `key:${p.keyId}`);

/** A key acts while it exists and is not revoked (a user while its session is live: see Sessions). */
export const keyIsLive = (key: { revokedAt: number | null }) => key.revokedAt === null;

const IN_CHUNK = 500;

/**
 * Whether API keys may still act, read from the database for what outlives a request (a live
 * stream; users are judged by their session, see Sessions). Changes made through this
 * instance are also announced at once (`changes`), so that what outlives a request can end
 * without waiting for its next look.
 */
@Injectable()
export class PrincipalValidity {
  private readonly changed = new Subject<PrincipalRef>();
  /** Users and keys changed through this instance (disabled, deleted, moved to another client, revoked). */
  readonly changes: Observable<PrincipalRef> = this.changed.asObservable();

  constructor(private readonly db: Database) {}

  /** Those of the keys that may act now. */
  async liveKeys(keyIds: number[]): Promise<LiveKey[]> {
    const rows = await this.inChunks(keyIds, (ids) =>
      this.db.query<{ id: number; scope: ApiKeyScope; client_id: number; revoked_at: number | string | null }>(
        `SELECT id, scope, client_id, revoked_at FROM api_keys WHERE id IN (${ids.map(() => '?').join(',')})`,
        ids,
      ),
    );
    return rows
      .filter((k) => keyIsLive({ revokedAt: k.revoked_at === null ? null : Number(k.revoked_at) }))
      .map((k) => ({ keyId: Number(k.id), scope: k.scope, clientId: Number(k.client_id) }));
  }

  /** Call after the commit that changed a user or key. */
  announce(ref: PrincipalRef): void {
    this.changed.next(ref);
  }

  private async inChunks<T>(ids: number[], query: (ids: number[]) => Promise<T[]>): Promise<T[]> {
    const out: T[] = [];
    for (let i = 0; i < ids.length; i += IN_CHUNK) out.push(...(await query(ids.slice(i, i + IN_CHUNK))));
    return out;
  }
}
