import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import { ALL_CLIENTS, ClientScope } from './client-scope';

/**
 * The caller's client scope, as set on the request by authentication.
 * A request that carries none (no login module yet) sees every client.
 */
export const CallerScope = createParamDecorator((_: unknown, ctx: ExecutionContext): ClientScope => {
  const req = ctx.switchToHttp().getRequest<{ scope?: ClientScope }>();
  return req.scope ?? ALL_CLIENTS;
});
