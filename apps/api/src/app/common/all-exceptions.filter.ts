import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { Response } from 'express';
import { QueryFailedError } from 'typeorm';
import { databaseUnavailable } from '../database/database-errors';
import { DomainError, FieldError, ServiceUnavailableError, TooManyRequestsError } from './domain-errors';

/** Maps every error to `{ statusCode, message, errors? }`; internals never leak to the caller. */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger('HTTP');

  catch(thrown: unknown, host: ArgumentsHost): void {
    // The database restarting or locked is a passing state, not a fault of this request: 503 and when to retry.
    const exception = databaseUnavailable(thrown) ?? thrown;
    const res = host.switchToHttp().getResponse<Response>();
    const { statusCode, message, errors } = this.describe(exception);
    if (exception instanceof DomainError && statusCode >= 500) {
      // An expected failure outside this process (a meter that does not answer): one line, no stack.
      const req = host.switchToHttp().getRequest<{ method: string; url: string }>();
      const cause = exception === thrown ? '' : ` (${(thrown as Error).message})`;
      this.logger.warn(`${req.method} ${req.url} answered ${statusCode}: ${exception.message}${cause}`);
    } else if (statusCode >= 500) {
      const req = host.switchToHttp().getRequest<{ method: string; url: string }>();
      this.logger.error(`${req.method} ${req.url} failed: ${(exception as Error)?.stack ?? exception}`);
    }
    if (res.headersSent) return;
    if ((exception instanceof TooManyRequestsError || exception instanceof ServiceUnavailableError) && exception.retryAfterSec !== undefined)
      res.setHeader('Retry-After', String(exception.retryAfterSec));
    res.status(statusCode).json(errors ? { statusCode, message, errors } : { statusCode, message });
  }

  private describe(exception: unknown): { statusCode: number; message: string; errors?: FieldError[] } {
    if (exception instanceof DomainError) {
      return { statusCode: exception.statusCode, message: exception.message, errors: exception.errors };
    }
    if (exception instanceof HttpException) {
      const statusCode = exception.getStatus();
      const body = exception.getResponse() as string | { message?: string | string[]; errors?: FieldError[] };
      if (typeof body === 'string') return { statusCode, message: body };
      const msg = Array.isArray(body.message) ? body.message.join('; ') : (body.message ?? exception.message);
      return { statusCode, message: msg, errors: body.errors };
    }
    if (exception instanceof QueryFailedError && /UNIQUE|duplicate key/i.test(exception.message)) {
      return { statusCode: HttpStatus.CONFLICT, message: 'A record with the same unique value already exists' };
    }
    return { statusCode: HttpStatus.INTERNAL_SERVER_ERROR, message: 'Internal server error' };
  }
}
