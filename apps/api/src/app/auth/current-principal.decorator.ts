import { createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import { UnauthorizedError } from '../common/domain-errors';
import { ACCEPTS_INGEST_KEY, ACCEPTS_METRICS_TOKEN, STAFF_ONLY } from './auth.guard';
import type { Principal } from './principal';

/** The authenticated caller (the guard has checked it). */
export const CurrentPrincipal = createParamDecorator((_: unknown, ctx: ExecutionContext): Principal => {
  const principal = ctx.switchToHttp().getRequest<{ principal?: Principal }>().principal;
  if (!principal) throw new UnauthorizedError('Log in first');
  return principal;
});

/** Routes that an API key of scope `ingest` or `forward` may call. */
export const AcceptsIngestKey = () => SetMetadata(ACCEPTS_INGEST_KEY, true);

/** Routes that a Prometheus scraper may call with `Authorization: Bearer <METRICS_TOKEN>` (when METRICS_TOKEN is set). */
export const AcceptsMetricsToken = () => SetMetadata(ACCEPTS_METRICS_TOKEN, true);

/** Routes about the whole platform: refused (403) to users of a client and to API keys. */
export const StaffOnly = () => SetMetadata(STAFF_ONLY, true);
