import { HttpErrorResponse } from '@angular/common/http';
import type { ApiSchema } from '@pieng/api-client';

/** The API's error body: `{statusCode, message, errors?: [{field, message}]}` (the document's ErrorBody). */
type ApiErrorBody = ApiSchema<'ErrorBody'>;

/** The server's explanation of a failed call, for showing next to a form; null for failures the banner already covers. */
export function formError(error: unknown): { message: string; fields: Record<string, string> } | null {
  if (!(error instanceof HttpErrorResponse) || error.status === 0 || error.status === 403 || error.status === 429 || error.status >= 500) return null;
  const body = error.error as Partial<ApiErrorBody> | null;
  const fields: Record<string, string> = {};
  for (const e of body?.errors ?? []) fields[e.field] = e.message;
  return { message: body?.message ?? error.message, fields };
}

/** The server's message for any failed call (also 5xx, e.g. a meter that did not answer), or null when there is none. */
export function errorMessage(error: unknown): string | null {
  if (!(error instanceof HttpErrorResponse) || error.status === 0) return null;
  const body = error.error as Partial<ApiErrorBody> | string | null;
  if (body && typeof body === 'object' && typeof body.message === 'string') return body.message;
  return error.message || null;
}
