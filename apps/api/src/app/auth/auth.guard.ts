import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { createHash, timingSafeEqual } from 'node:crypto';
import { ApiKeysService } from '../api-keys/api-keys.service';
import type { ClientScope } from '../common/client-scope';
import { ForbiddenError, UnauthorizedError } from '../common/domain-errors';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { Database } from '../database/database.service';
import { AuthService } from './auth.service';
import type { Principal } from './principal';
import { IS_PUBLIC, MIN_ROLE, Role, roleRank } from './roles';

export const ACCEPTS_INGEST_KEY = 'acceptsIngestKey';
/** Routes that also accept `Authorization: Bearer <METRICS_TOKEN>` (a Prometheus scraper), when that token is set. */
export const ACCEPTS_METRICS_TOKEN = 'acceptsMetricsToken';
/** Routes about the whole platform: no client (tenant) user and no API key (keys always belong to a client). */
export const STAFF_ONLY = 'staffOnly';

const sameSecret = (a: string, b: string) => timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());

interface AuthRequest {
  method: string;
  headers: Record<string, string | string[] | undefined>;
  principal?: Principal;
  scope?: ClientScope;
  /** Set when the caller presented METRICS_TOKEN on a route that accepts it (no principal then). */
  viaMetricsToken?: boolean;
}

/**
 * The one guard on every route. A route is open only when marked @Public().
 * Users carry a Bearer access token; machines an X-API-Key. The caller's client
 * scope is put on the request for the services to apply in their queries.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly auth: AuthService,
    private readonly apiKeys: ApiKeysService,
    private readonly db: Database,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const targets = [ctx.getHandler(), ctx.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true;
    const req = ctx.switchToHttp().getRequest<AuthRequest>();
    const isRead = req.method === 'GET' || req.method === 'HEAD';
    const staffOnly = this.reflector.getAllAndOverride<boolean>(STAFF_ONLY, targets) ?? false;
    const header = req.headers['authorization'];
    const match = typeof header === 'string' ? /^Bearer\s+(.+)$/i.exec(header) : null;

    const metricsToken = this.config.metricsToken;
    if (metricsToken && match && this.reflector.getAllAndOverride<boolean>(ACCEPTS_METRICS_TOKEN, targets) && sameSecret(match[1], metricsToken)) {
      req.viaMetricsToken = true;
      return true;
    }

    const presentedKey = req.headers['x-api-key'];
    if (typeof presentedKey === 'string' && presentedKey.length > 0) {
      const key = await this.apiKeys.authenticate(presentedKey);
      if (!key) throw new UnauthorizedError('Unknown or revoked API key');
      const acceptsIngest = this.reflector.getAllAndOverride<boolean>(ACCEPTS_INGEST_KEY, targets) ?? false;
      if ((key.scope === 'ingest' || key.scope === 'forward') && !acceptsIngest) throw new ForbiddenError('This API key may only send readings (POST /api/ingest)');
      if (key.scope === 'read' && !isRead) throw new ForbiddenError('This API key may only read');
      if (staffOnly) throw new ForbiddenError('This is about the whole platform: API keys belong to a client and may not read it');
      req.principal = { kind: 'apiKey', keyId: key.id, scope: key.scope, clientId: key.clientId };
      req.scope = { clientId: key.clientId };
      return true;
    }

    if (!match) throw new UnauthorizedError('Log in first: send the header Authorization: Bearer <accessToken> (or X-API-Key for machines)');
    const claims = this.auth.verifyAccessToken(match[1]);
    // Role, client and status come from the database, so a change takes effect at once.
    const [user] = await this.db.query<{ id: number; email: string; role: Role; client_id: number | null; active: boolean | number }>(
      'SELECT id, email, role, client_id, active FROM users WHERE id = ?',
      [claims.sub],
    );
    if (!user || !(user.active === true || Number(user.active) === 1)) throw new UnauthorizedError('This account no longer exists or is disabled');
    const clientId = user.client_id === null ? null : Number(user.client_id);
    const needed = this.reflector.getAllAndOverride<Role>(MIN_ROLE, targets) ?? (isRead ? 'viewer' : 'operator');
    if (roleRank(user.role) < roleRank(needed)) throw new ForbiddenError(`Your role (${user.role}) cannot do this; it needs ${needed}`);
    if (staffOnly && clientId !== null) throw new ForbiddenError('This is about the whole platform: users of a client may not read it');
    req.principal = { kind: 'user', userId: Number(user.id), email: user.email, role: user.role, clientId };
    req.scope = { clientId };
    return true;
  }
}
