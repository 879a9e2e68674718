/** A field-level problem in a request, named the way the client sent it (e.g. `readings[3].metrics.voltage`). */
export interface FieldError {
  field: string;
  message: string;
}

/**
 * Errors that services throw. They know nothing of HTTP; the global
 * exception filter maps each kind to its status code.
 */
export abstract class DomainError extends Error {
  abstract readonly statusCode: number;
  constructor(
    message: string,
    readonly errors?: FieldError[],
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class InvalidInputError extends DomainError {
  readonly statusCode = 400;
  static forFields(errors: FieldError[]): InvalidInputError {
    const head = errors
      .slice(0, 3)
      .map((e) => (e.message.startsWith(e.field) ? e.message : `${e.field}: ${e.message}`))
      .join('; ');
    const more = errors.length > 3 ? ` (and ${errors.length - 3} more)` : '';
    return new InvalidInputError(head + more, errors);
  }
}

export class NotFoundError extends DomainError {
  readonly statusCode = 404;
}

export class ConflictError extends DomainError {
  readonly statusCode = 409;
}

/** The request is well formed but cannot be answered from the data (e.g. a regression over one point). */
export class UnprocessableError extends DomainError {
  readonly statusCode = 422;
}

/** Something this request needs is not available now (the database restarting, too busy). */
export class ServiceUnavailableError extends DomainError {
  readonly statusCode = 503;
  /** Seconds after which trying again makes sense (the Retry-After header), when known. */
  constructor(
    message: string,
    readonly retryAfterSec?: number,
  ) {
    super(message);
  }
}

/**
 * The disk holding the database or the audit trail is full (or cannot be written): readings are
 * not accepted until it can be, and the message says which disk and what to do.
 */
export class InsufficientStorageError extends DomainError {
  readonly statusCode = 507;
}

/** A meter or cloud behind the field bus could not be read (link down, exception, corrupt reply). */
export class MeterUnreachableError extends DomainError {
  readonly statusCode = 502;
}

/** A meter did not answer within its timeout. */
export class MeterTimeoutError extends DomainError {
  readonly statusCode = 504;
}

export class UnauthorizedError extends DomainError {
  readonly statusCode = 401;
}

export class ForbiddenError extends DomainError {
  readonly statusCode = 403;
}

export class TooManyRequestsError extends DomainError {
  readonly statusCode = 429;
  constructor(
    message: string,
    readonly retryAfterSec: number,
  ) {
    super(message);
  }
}
