import { applyDecorators } from '@nestjs/common';
import { ApiResponse } from '@nestjs/swagger';
import { ErrorBody } from './error-body';

const descriptions: Record<number, string> = {
  400: 'Invalid request: the message and `errors` name the fields',
  401: 'Not logged in, or the token or API key is invalid',
  403: 'Your role or API key scope does not allow this',
  429: 'Too many at once (failed logins, live streams); see the Retry-After header',
  404: 'Not found (or not visible to the caller)',
  409: 'Conflicts with existing data',
  413: 'Request body larger than the route takes (5 MB; 16 KB on /api/auth)',
  422: 'Well-formed, but the data cannot answer it',
  502: 'The meter (or its gateway or cloud) could not be read: the message names the link',
  504: 'The meter did not answer within its timeout: the message names the link',
  503: 'Busy or unavailable for a moment (too many logins being checked, the database restarting or locked, too many long reads): retry after the seconds in Retry-After',
  507: 'The disk holding the database or the audit trail is full: nothing new is accepted until space is freed (the message says which; a retry later is safe)',
};

/** Declares the error answers of a route, all with the one error body. */
export const ApiErrors = (...codes: number[]) =>
  applyDecorators(...codes.map((status) => ApiResponse({ status, description: descriptions[status], type: ErrorBody })));
