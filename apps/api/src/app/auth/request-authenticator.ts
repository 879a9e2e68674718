import { Injectable } from '@nestjs/common';
import { ApiKeysService } from '../api-keys/api-keys.service';
import { UnauthorizedError } from '../common/domain-errors';
import { Database } from '../database/database.service';
import { AuthService } from './auth.service';
import type { Principal } from './principal';
import { SessionRecord, Sessions } from './sessions';

type Headers = Record<string, string | string[] | undefined>;

const SESSION_OVER: Record<NonNullable<SessionRecord['over']>, string> = {
  ended: 'Your session has ended (logged out, or ended for safety); log in again',
  'password changed': 'The password of this account was changed; log in again',
  'account disabled': 'This account no longer exists or is disabled',
};

/** The Bearer token of an Authorization header, if any. */
export const bearerToken = (headers: Headers): string | undefined => {
  const header = headers['authorization'];
  return typeof header === 'string' ? /^Bearer\s+(.+)$/i.exec(header)?.[1] : undefined;
};

/**
 * Who is calling, from the request's headers alone: a user's access token (whose session, user and
 * role are read from the database on every request, so that a logout, a password change, a disabled
 * account or a new role take effect at once, on every instance) or an API key. Route rules (roles,
 * key scopes) are the guard's business.
 */
@Injectable()
export class RequestAuthenticator {
  constructor(
    private readonly auth: AuthService,
    private readonly sessions: Sessions,
    private readonly apiKeys: ApiKeysService,
    private readonly db: Database,
  ) {}

  /** The caller, undefined when the request carries no credentials, or UnauthorizedError when they are not valid now. */
  async authenticate(headers: Headers): Promise<Principal | undefined> {
    const presentedKey = headers['x-api-key'];
    if (typeof presentedKey === 'string' && presentedKey.length > 0) {
      const key = await this.apiKeys.authenticate(presentedKey);
      if (!key) throw new UnauthorizedError('Unknown or revoked API key');
      return { kind: 'apiKey', keyId: key.id, scope: key.scope, clientId: key.clientId };
    }
    const token = bearerToken(headers);
    if (token === undefined) return undefined;
    const claims = this.auth.verifyAccessToken(token);
    const session = typeof claims.sid === 'string' ? await this.sessions.find(claims.sid) : undefined;
    if (!session || session.userId !== claims.sub) throw new UnauthorizedError('Your session has expired or the token is invalid; log in again');
    if (session.over) throw new UnauthorizedError(SESSION_OVER[session.over]);
    return { kind: 'user', userId: session.userId, email: session.email, role: session.role, clientId: session.clientId, sessionId: claims.sid };
  }

  /**
   * The principal as the database has it now (a new role or client included), or null once it may no
   * longer act: session ended, password changed, account disabled or deleted, API key revoked. For
   * whatever outlives the request that authenticated it, such as a live stream.
   */
  async current(principal: Principal): Promise<Principal | null> {
    if (principal.kind === 'user') {
      const session = await this.sessions.find(principal.sessionId);
      if (!session || session.over || session.userId !== principal.userId) return null;
      return { ...principal, email: session.email, role: session.role, clientId: session.clientId };
    }
    const [key] = await this.db.query<{ client_id: number; scope: string }>('SELECT client_id, scope FROM api_keys WHERE id = ? AND revoked_at IS NULL', [
      principal.keyId,
    ]);
    return key ? { ...principal, clientId: Number(key.client_id) } : null;
  }
}
