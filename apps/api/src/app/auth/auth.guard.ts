import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { ApiKeyScope } from '../api-keys/entities/api-key.entity';
import type { ClientScope } from '../common/client-scope';
import { ForbiddenError, UnauthorizedError } from '../common/domain-errors';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import type { Principal } from './principal';
import { bearerToken, RequestAuthenticator } from './request-authenticator';
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

/** What a route asks of its caller, from its decorators. */
interface RouteRules {
  isRead: boolean;
  /** @MinRole, else viewer for reads and operator for every other method. */
  neededRole: Role;
  staffOnly: boolean;
  acceptsIngestKey: boolean;
}

/**
 * Why an API key may not call a route, or null when it may. A key has no role: it may read what a
 * viewer of its client reads (scope `read`), or call the routes made for its scope (`ingest`:
 * POST /api/ingest), and nothing else, whatever the route's role rule says.
 */
export function keyRefusal(scope: ApiKeyScope, route: RouteRules): string | null {
  if (route.staffOnly) return 'This is about the whole platform: API keys belong to a client and may not call it';
  switch (scope) {
    case 'ingest':
    case 'forward':
      return route.acceptsIngestKey ? null : 'This API key may only send readings (POST /api/ingest)';
    case 'read':
      if (!route.isRead) return 'This API key may only read';
      return route.neededRole === 'viewer' ? null : `This API key may only read what a viewer reads; this needs a user with the role ${route.neededRole}`;
  }
}

/** Why a user may not call a route, or null when they may. */
export function userRefusal(user: Extract<Principal, { kind: 'user' }>, route: RouteRules): string | null {
  if (roleRank(user.role) < roleRank(route.neededRole)) return `Your role (${user.role}) cannot do this; it needs ${route.neededRole}`;
  if (route.staffOnly && user.clientId !== null) return 'This is about the whole platform: users of a client may not read it';
  return null;
}

/**
 * The one guard on every route. A route is open only when marked @Public(). Users carry a Bearer
 * access token; machines an X-API-Key (RequestAuthenticator says who is calling; the rules above say
 * what they may call). The caller's client scope is put on the request for the services to apply in
 * their queries. Request bodies are read only after this guard has let the caller through.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly authenticator: RequestAuthenticator,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const targets = [ctx.getHandler(), ctx.getClass()];
    const flag = (key: string) => this.reflector.getAllAndOverride<boolean>(key, targets) ?? false;
    if (flag(IS_PUBLIC)) return true;
    const req = ctx.switchToHttp().getRequest<AuthRequest>();

    const metricsToken = this.config.metricsToken;
    const token = bearerToken(req.headers);
    if (metricsToken && token !== undefined && flag(ACCEPTS_METRICS_TOKEN) && sameSecret(token, metricsToken)) {
      req.viaMetricsToken = true;
      return true;
    }

    const principal = await this.authenticator.authenticate(req.headers);
    if (!principal) throw new UnauthorizedError('Log in first: send the header Authorization: Bearer <accessToken> (or X-API-Key for machines)');
    const isRead = req.method === 'GET' || req.method === 'HEAD';
    const route: RouteRules = {
      isRead,
      neededRole: this.reflector.getAllAndOverride<Role>(MIN_ROLE, targets) ?? (isRead ? 'viewer' : 'operator'),
      staffOnly: flag(STAFF_ONLY),
      acceptsIngestKey: flag(ACCEPTS_INGEST_KEY),
    };
    const refusal = principal.kind === 'apiKey' ? keyRefusal(principal.scope, route) : userRefusal(principal, route);
    if (refusal) throw new ForbiddenError(refusal);
    req.principal = principal;
    req.scope = { clientId: principal.clientId };
    return true;
  }
}
