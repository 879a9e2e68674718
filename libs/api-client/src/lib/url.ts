import { InjectionToken } from '@angular/core';
import { API_OPERATIONS } from './generated/operations';
import type { ApiRequest, OperationId } from './types';

/** Origin the API is served from; empty means the console's own origin (the API serves the console). */
export const API_BASE_URL = new InjectionToken<string>('API_BASE_URL', { providedIn: 'root', factory: () => '' });

/**
 * The URL of an operation with its path and query parameters filled in. Undefined and null query values are left out;
 * arrays are joined with commas (the API's list parameters, e.g. `metrics=voltage,power`).
 */
export function apiUrl<K extends OperationId>(baseUrl: string, operation: K, request?: ApiRequest<K>): string {
  const r = (request ?? {}) as { path?: Record<string, unknown>; query?: Record<string, unknown> };
  const path = API_OPERATIONS[operation].path.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = r.path?.[name];
    if (value === undefined || value === null) throw new Error(`${operation}: missing path parameter ${name}`);
    return encodeURIComponent(String(value));
  });
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(r.query ?? {})) {
    if (value === undefined || value === null || value === '') continue;
    query.set(key, Array.isArray(value) ? value.join(',') : String(value));
  }
  const qs = query.toString();
  return baseUrl + path + (qs ? `?${qs}` : '');
}
