import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

export const REQUEST_ID_HEADER = 'X-Request-Id';

/** An incoming id is kept when it is short and plain (a UUID, a proxy's trace id); anything else is replaced. */
const SANE_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

export function saneRequestId(value: unknown): string | undefined {
  return typeof value === 'string' && SANE_ID.test(value) ? value : undefined;
}

type RequestWithId = IncomingMessage & { id?: string | number | object };

/**
 * The request's id: a sane incoming X-Request-Id, else a new UUID. Set on the request
 * (pino-http reuses `req.id`) and on the response header, once.
 */
export function assignRequestId(req: RequestWithId, res: ServerResponse): string {
  if (typeof req.id === 'string') return req.id;
  const id = saneRequestId(req.headers['x-request-id']) ?? randomUUID();
  req.id = id;
  if (!res.headersSent) res.setHeader(REQUEST_ID_HEADER, id);
  return id;
}

/** Express middleware that runs first, so that even a request refused by the body parser carries its id. */
export function requestIdMiddleware() {
  return (req: RequestWithId, res: ServerResponse, next: () => void) => {
    assignRequestId(req, res);
    next();
  };
}
