import { HttpErrorResponse, HttpHandlerFn, HttpInterceptorFn, HttpRequest } from '@angular/common/http';
import { inject } from '@angular/core';
import { Router } from '@angular/router';
import { API_OPERATIONS } from '@pieng/api-client';
import { catchError, switchMap, throwError } from 'rxjs';
import { AuthService } from './auth.service';
import { NoticeService } from './notice.service';
import type { MessageKey } from './translations';

/** Calls whose 401 means "wrong password" or "session over", never "refresh and retry". */
const SESSION_PATHS: string[] = [API_OPERATIONS.login.path, API_OPERATIONS.refreshSession.path, API_OPERATIONS.logout.path];

function withToken(request: HttpRequest<unknown>, token: string | null): HttpRequest<unknown> {
  return token ? request.clone({ setHeaders: { Authorization: `Bearer ${token}` } }) : request;
}

/**
 * True for the API's own 502/504: a meter, its gateway or its cloud did not answer a read (the message names the
 * link). The page shows that message beside the read; it is not the server failing. A 502/504 without the API's
 * error body comes from a proxy in front of a server that is down, and gets the banner.
 */
function isMeterFailure(status: number, body: unknown): boolean {
  if (status !== 502 && status !== 504) return false;
  const b = body as { statusCode?: unknown; message?: unknown } | null;
  return typeof b === 'object' && b !== null && b.statusCode === status && typeof b.message === 'string';
}

/** The user's words for a failed call, or null when the page handles it itself (validation, not found, a meter's error). */
export function messageForStatus(status: number, body?: unknown): MessageKey | null {
  if (status === 0) return 'error.offline';
  if (status === 403) return 'error.forbidden';
  if (status === 429) return 'error.tooMany';
  if (isMeterFailure(status, body)) return null;
  if (status === 507) return 'error.diskFull';
  if (status >= 500) return 'error.server';
  return null;
}

/**
 * Adds the access token; on 401 refreshes once and retries, and when that fails sends the user to the login page.
 * 403, 429, 5xx (except a meter's 502/504) and network failures become one clear banner in the user's language; the error still reaches the
 * caller so a page can stop its spinner.
 */
export const authInterceptor: HttpInterceptorFn = (request: HttpRequest<unknown>, next: HttpHandlerFn) => {
  const auth = inject(AuthService);
  const notice = inject(NoticeService);
  const router = inject(Router);
  const isSessionCall = SESSION_PATHS.some((path) => request.url.endsWith(path));
  // The session probe (who am I, without a token) expects its 401: nothing to refresh.
  const isProbe = request.url.endsWith(API_OPERATIONS.getMe.path) && !auth.token();

  const report = (error: unknown) => {
    if (error instanceof HttpErrorResponse) {
      // The login page says itself how long to wait (from Retry-After), next to the form.
      const key = isSessionCall && error.status === 429 ? null : messageForStatus(error.status, error.error);
      if (key) notice.show(key);
    }
    return throwError(() => error);
  };

  return next(withToken(request, auth.token())).pipe(
    catchError((error: unknown) => {
      if (!(error instanceof HttpErrorResponse) || error.status !== 401 || isSessionCall || isProbe) {
        return report(error);
      }
      return auth.refresh().pipe(
        switchMap((token) => {
          if (!token) {
            auth.expire(router.url);
            return throwError(() => error);
          }
          return next(withToken(request, token)).pipe(catchError(report));
        }),
      );
    }),
  );
};
