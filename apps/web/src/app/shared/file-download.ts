import { HttpClient, HttpErrorResponse, HttpResponse } from '@angular/common/http';
import { ChangeDetectionStrategy, Component, inject, Injectable, input, signal } from '@angular/core';
import { API_BASE_URL, ApiRequest, apiUrl, OperationId } from '@pieng/api-client';
import { firstValueFrom } from 'rxjs';
import { I18n } from '../core/i18n.service';

/** The operations that answer with a file. */
export type FileOperation = Extract<OperationId, 'exportReadings' | 'exportEnergy' | 'getMonthlyReport'>;

/** The query parameters of a file operation, as the generated client types them. */
export type FileQuery<K extends FileOperation> = ApiRequest<K> extends { query?: infer Q } ? NonNullable<Q> : never;

/** What a download menu offers for what is on screen: the operation and its query, the format left to the menu. */
export type DownloadTarget = { [K in 'exportReadings' | 'exportEnergy']: { operation: K; query: Omit<FileQuery<K>, 'format' | 'locale'> } }[
  | 'exportReadings'
  | 'exportEnergy'];

/** The file name the server gave in Content-Disposition, else a fallback. */
export function fileNameOf(header: string | null, fallback: string): string {
  const m = /filename="([^"]+)"/.exec(header ?? '');
  return m ? m[1] : fallback;
}

/**
 * Downloads a file from the API through HttpClient, so that the auth interceptor adds the access token
 * (and refreshes it) as for every other call; a plain link could not carry the Authorization header.
 * The URL comes from the generated client's apiUrl(); the browser saves the blob under the server's name.
 */
@Injectable({ providedIn: 'root' })
export class FileDownloads {
  private readonly http = inject(HttpClient);
  private readonly baseUrl = inject(API_BASE_URL);

  async save<K extends FileOperation>(operation: K, query: FileQuery<K>): Promise<void> {
    const url = apiUrl(this.baseUrl, operation, { query } as unknown as ApiRequest<K>);
    let res: HttpResponse<Blob>;
    try {
      res = await firstValueFrom(this.http.get(url, { responseType: 'blob', observe: 'response' }));
    } catch (e) {
      throw await readableError(e);
    }
    const link = document.createElement('a');
    link.href = URL.createObjectURL(res.body ?? new Blob());
    link.download = fileNameOf(res.headers.get('Content-Disposition'), `${operation}.bin`);
    document.body.appendChild(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
  }
}

/** A failed blob request carries its JSON error body as a Blob: read it, so the page can show the API's message. */
async function readableError(e: unknown): Promise<unknown> {
  if (!(e instanceof HttpErrorResponse) || !(e.error instanceof Blob)) return e;
  try {
    const body = JSON.parse(await blobText(e.error));
    return new HttpErrorResponse({ error: body, status: e.status, statusText: e.statusText, url: e.url ?? undefined, headers: e.headers });
  } catch {
    return e;
  }
}

/** A blob's text through FileReader (older engines, and jsdom, have no Blob.text()). */
function blobText(blob: Blob): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result));
    reader.onerror = () => reject(reader.error);
    reader.readAsText(blob);
  });
}

/** "Download" with CSV and Excel for what the page shows, in the console's language (pt-BR: semicolons and decimal commas). */
@Component({
  selector: 'pm-download-menu',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <details class="download" data-testid="download-menu">
      <summary>{{ t('download.title') }}</summary>
      <div class="items" role="menu">
        <button type="button" role="menuitem" [disabled]="!target() || busy()" (click)="download('csv')" data-testid="download-csv">CSV</button>
        <button type="button" role="menuitem" [disabled]="!target() || busy()" (click)="download('xlsx')" data-testid="download-xlsx">Excel (.xlsx)</button>
      </div>
    </details>
    @if (error(); as e) {
      <p class="error-text" role="alert" data-testid="download-error">{{ e }}</p>
    }
  `,
  styles: `
    :host {
      display: inline-block;
      position: relative;
    }
    summary {
      cursor: pointer;
      list-style: none;
      padding: 0.4rem 0.75rem;
      border: 1px solid var(--border, #ccc);
      border-radius: 6px;
    }
    .items {
      position: absolute;
      right: 0;
      z-index: 10;
      display: flex;
      flex-direction: column;
      gap: 0.25rem;
      padding: 0.5rem;
      background: var(--surface, #fff);
      border: 1px solid var(--border, #ccc);
      border-radius: 6px;
      min-width: 10rem;
    }
    .error-text {
      max-width: 20rem;
    }
  `,
})
export class DownloadMenu {
  private readonly downloads = inject(FileDownloads);
  private readonly i18n = inject(I18n);
  protected readonly t = this.i18n.t.bind(this.i18n);
  readonly target = input<DownloadTarget | null>(null);
  protected readonly busy = signal(false);
  protected readonly error = signal<string | null>(null);

  protected async download(format: 'csv' | 'xlsx'): Promise<void> {
    const target = this.target();
    if (!target) return;
    this.busy.set(true);
    this.error.set(null);
    try {
      await this.downloads.save(target.operation, { ...target.query, format, locale: this.i18n.language() === 'pt-BR' ? 'pt-BR' : 'en' } as never);
    } catch (e) {
      const body = e instanceof HttpErrorResponse ? (e.error as { message?: string } | null) : null;
      this.error.set(body?.message ?? this.t('error.server'));
    } finally {
      this.busy.set(false);
    }
  }
}
