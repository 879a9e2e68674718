import { DOCUMENT } from '@angular/common';
import { ChangeDetectionStrategy, Component, effect, inject, signal } from '@angular/core';
import { toSignal } from '@angular/core/rxjs-interop';
import { FormBuilder, ReactiveFormsModule, Validators } from '@angular/forms';
import { ApiBody, ApiResponse, PiengApi } from '@pieng/api-client';
import { AuthService } from '../../core/auth.service';
import { I18n } from '../../core/i18n.service';
import type { MessageKey } from '../../core/translations';
import { formError } from '../../shared/api-error';

type ApiKey = ApiResponse<'listApiKeys'>[number];
type Scope = ApiKey['scope'];
const SCOPES: readonly Scope[] = ['ingest', 'forward', 'read'];

/** API keys for gateways, slave instances and scripts: list, create (the key is shown once), revoke. */
@Component({
  selector: 'pm-api-keys-page',
  imports: [ReactiveFormsModule],
  changeDetection: ChangeDetectionStrategy.OnPush,
  templateUrl: './api-keys.page.html',
  styles: `
    form {
      display: flex;
      flex-direction: column;
      gap: 0.75rem;
    }
    .new-key {
      border-color: var(--warn);
      background: var(--warn-soft);
    }
    .new-key code {
      display: block;
      padding: 0.5rem;
      margin: 0.5rem 0;
      background: var(--surface);
      border: 1px solid var(--border);
      border-radius: 6px;
      word-break: break-all;
      font-size: 0.95rem;
    }
    .new-key .row {
      align-items: center;
    }
    tr.revoked td {
      color: var(--muted);
    }
  `,
})
export class ApiKeysPage {
  private readonly api = inject(PiengApi);
  private readonly window = inject(DOCUMENT).defaultView;
  protected readonly auth = inject(AuthService);
  protected readonly i18n = inject(I18n);
  protected readonly t = this.i18n.t.bind(this.i18n);
  protected readonly scopes = SCOPES;

  protected readonly clients = toSignal(this.api.listClients(), { initialValue: [] });
  protected readonly keys = signal<ApiKey[]>([]);
  /** The key just created: shown this once. */
  protected readonly created = signal<ApiResponse<'createApiKey'> | null>(null);
  protected readonly copied = signal(false);
  protected readonly error = signal<{ message: string; fields: Record<string, string> } | null>(null);

  protected readonly form = inject(FormBuilder).nonNullable.group({
    name: ['', Validators.required],
    scope: ['ingest' as Scope],
    clientId: [0],
  });

  constructor() {
    effect(() => {
      const clients = this.clients();
      if (clients.length && !this.form.controls.clientId.value) this.form.controls.clientId.setValue(clients[0].id);
    });
    this.load();
  }

  protected scopeLabel(scope: Scope): string {
    return this.t(`apiKeys.scope.${scope}` as MessageKey);
  }

  protected clientName(id: number): string {
    return this.clients().find((c) => c.id === id)?.name ?? `#${id}`;
  }

  protected fieldError(field: string): string | null {
    return this.error()?.fields[field] ?? null;
  }

  protected create(): void {
    if (this.form.invalid) {
      this.form.markAllAsTouched();
      return;
    }
    const v = this.form.getRawValue();
    // A client's user creates keys of their own client; platform staff name the client.
    const body: ApiBody<'createApiKey'> = { name: v.name.trim(), scope: v.scope, ...(this.auth.isStaff() && v.clientId ? { clientId: v.clientId } : {}) };
    this.api.createApiKey({ body }).subscribe({
      next: (key) => {
        this.error.set(null);
        this.copied.set(false);
        this.created.set(key);
        this.form.reset({ scope: v.scope, clientId: v.clientId });
        this.load();
      },
      error: (e: unknown) => this.error.set(formError(e)),
    });
  }

  protected async copy(key: string): Promise<void> {
    const clipboard = this.window?.navigator?.clipboard;
    try {
      await clipboard?.writeText(key);
      this.copied.set(clipboard !== undefined);
    } catch {
      this.copied.set(false);
    }
  }

  protected revoke(key: ApiKey): void {
    if (!this.window?.confirm(this.t('apiKeys.confirmRevoke', { name: key.name }))) return;
    this.api.revokeApiKey({ path: { id: key.id } }).subscribe({ next: () => this.load(), error: (e: unknown) => this.error.set(formError(e)) });
  }

  private load(): void {
    this.api.listApiKeys().subscribe((keys) => this.keys.set(keys));
  }
}
