import { CallHandler, ExecutionContext, HttpException, Injectable, NestInterceptor, PayloadTooLargeException, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { json, NextFunction, Request, RequestHandler, Response } from 'express';
import type { Observable } from 'rxjs';
import { InvalidInputError } from './domain-errors';

/** The largest JSON body a route takes unless it says less with @BodyLimit (an ingest batch of 10,000 readings fits). */
export const MAX_BODY_BYTES = 5 * 1024 * 1024;
/** Deeper JSON is refused before it is parsed: nothing the API takes nests beyond a few levels, and code that walks a deep object recursively overflows the stack. */
export const MAX_JSON_DEPTH = 32;

const BODY_LIMIT = 'bodyLimit';
/** A smaller body limit (bytes) for a controller or a route, such as the public login routes. */
export const BodyLimit = (bytes: number) => SetMetadata(BODY_LIMIT, bytes);

const human = (bytes: number) => (bytes % (1024 * 1024) === 0 ? `${bytes / (1024 * 1024)}MB` : `${Math.round(bytes / 1024)}KB`);

class TooDeep extends Error {
  readonly status = 400;
  readonly type = 'entity.too.deep';
}

/** Counts the nesting of a JSON text without parsing it (brackets inside strings do not count). */
export function assertJsonDepth(body: Buffer, encoding: string, max = MAX_JSON_DEPTH): void {
  // In UTF-8, quotes, backslashes and brackets are single bytes that never occur inside a multi-byte character.
  const text: { length: number; code(i: number): number } =
    encoding === 'utf-8'
      ? { length: body.length, code: (i) => body[i] }
      : ((s) => ({ length: s.length, code: (i: number) => s.charCodeAt(i) }))(new TextDecoder(encoding).decode(body));
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.code(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) throw new TooDeep(`JSON nested more than ${max} levels deep`);
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
}

/**
 * Reads a request's JSON body once the guard has let the caller through, so that a body from a caller
 * who may not call the route (anonymous, a wrong token or key, a forbidden role) is never read, let
 * alone parsed: the guard answers from the headers. The body is read here, before the pipes bind
 * @Body(), with the route's limit (@BodyLimit, else MAX_BODY_BYTES) and a depth limit; malformed,
 * oversized or too deeply nested bodies answer 400/413 in the one error format.
 */
@Injectable()
export class RequestBodyInterceptor implements NestInterceptor {
  private readonly parsers = new Map<number, RequestHandler>();

  constructor(private readonly reflector: Reflector) {}

  async intercept(ctx: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
    if (ctx.getType() === 'http') {
      const limit = this.reflector.getAllAndOverride<number>(BODY_LIMIT, [ctx.getHandler(), ctx.getClass()]) ?? MAX_BODY_BYTES;
      await this.read(ctx.switchToHttp().getRequest<Request>(), ctx.switchToHttp().getResponse<Response>(), limit);
    }
    return next.handle();
  }

  private read(req: Request, res: Response, limit: number): Promise<void> {
    const tooLarge = () => new PayloadTooLargeException(`Request body is larger than ${human(limit)}${limit === MAX_BODY_BYTES ? '; split the batch' : ''}`);
    // A declared length over the limit is refused without reading a byte (the connection is closed, see closeConnectionWithUnreadBody).
    if (Number(req.headers['content-length']) > limit) return Promise.reject(tooLarge());
    let parse = this.parsers.get(limit);
    if (!parse) this.parsers.set(limit, (parse = json({ limit, verify: (_req, _res, body, encoding) => assertJsonDepth(body, encoding) })));
    return new Promise((resolve, reject) =>
      parse(req, res, (failure?: unknown) => {
        if (!failure) return resolve();
        const err = failure as { status?: number; type?: string; message?: string };
        if (err.type === 'entity.too.large') return reject(tooLarge());
        if (err.type === 'entity.too.deep') return reject(InvalidInputError.forFields([{ field: 'body', message: err.message ?? 'is nested too deeply' }]));
        if (err.type === 'entity.parse.failed') return reject(new InvalidInputError(`Malformed JSON: ${err.message}`));
        reject(new HttpException(err.message ?? 'Bad request body', err.status ?? 400));
      }),
    );
  }
}

/**
 * An answer sent before the request's body was read (a 401 from the guard, a 413 from its declared
 * length) closes the connection: Node would otherwise read the rest of the body, possibly megabytes
 * from an anonymous caller, only to throw it away before the next request on that connection.
 */
export function closeConnectionWithUnreadBody() {
  return (req: Request, res: Response, next: NextFunction) => {
    const writeHead = res.writeHead;
    res.writeHead = function (this: Response, ...args: Parameters<Response['writeHead']>) {
      if (!req.complete) this.setHeader('Connection', 'close');
      return writeHead.apply(this, args);
    } as Response['writeHead'];
    next();
  };
}
