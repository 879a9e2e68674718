import { HttpErrorResponse } from '@angular/common/http';

/** The API's error body: `{statusCode, message, errors?: [{field, message}]}`. */
export interface ApiErrorBody {
  statusCode: number;
  message: string;
  errors?: { field: string; message: string }[];
}

/** The server's explanation of a failed call, for showing next to a form; null for failures the banner already covers. */
export function formError(error: unknown): { message: string; fields: Record<string, string> } | null {
  if (!(error instanceof HttpErrorResponse) || error.status === 0 || error.status === 403 || error.status === 429 || error.status >= 500) return null;
  const body = error.error as Partial<ApiErrorBody> | null;
  const fields: Record<string, string> = {};
  for (const e of body?.errors ?? []) fields[e.field] = e.message;
  return { message: body?.message ?? error.message, fields };
}
