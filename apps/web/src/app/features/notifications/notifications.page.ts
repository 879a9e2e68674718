import { DOCUMENT } from '@angular/common';
import { ChangeDetectionStrategy, Component, inject, signal } from '@angular/core';
import { toSignal } from '@angular/core/rxjs-interop';
import { FormBuilder, ReactiveFormsModule, Validators } from '@angular/forms';
import { ApiBody, ApiResponse, PiengApi } from '@pieng/api-client';
import { AuthService } from '../../core/auth.service';
import { I18n } from '../../core/i18n.service';
import type { MessageKey } from '../../core/translations';
import { formError } from '../../shared/api-error';

type Channel = ApiResponse<'listNotificationChannels'>[number];
type Delivery = ApiResponse<'listNotifications'>[number];
type ChannelType = Channel['type'];
type Severity = Channel['minSeverity'];
type On = Channel['on'][number];

const TYPES: readonly ChannelType[] = ['email', 'webhook', 'telegram', 'sms'];
const SEVERITIES: readonly Severity[] = ['critical', 'major', 'minor', 'warning'];
const ON: readonly On[] = ['raised', 'cleared', 'acknowledged'];
/** The client select's value for a platform-wide channel (staff only). */
const PLATFORM = -1;

/** Splits "a@x.com, b@y.com" or one per line into entries. */
const list = (text: string) =>
  text
    .split(/[\s,;]+/)
    .map((s) => s.trim())
    .filter(Boolean);

/**
 * Notification channels (e-mail, webhook, Telegram, SMS): list with the last delivery and failures,
 * create, edit, test, delete; and the recent delivery log. A webhook's signing secret is shown once.
 */
@Component({
  selector: 'pm-notifications-page',
  imports: [ReactiveFormsModule],
  changeDetection: ChangeDetectionStrategy.OnPush,
  templateUrl: './notifications.page.html',
  styles: `
    form {
      display: flex;
      flex-direction: column;
      gap: 0.75rem;
    }
    fieldset {
      border: 1px solid var(--border);
      border-radius: 6px;
      display: flex;
      flex-wrap: wrap;
      gap: 0.75rem;
    }
    .secret {
      border-color: var(--warn);
      background: var(--warn-soft);
    }
    .secret code {
      display: block;
      padding: 0.5rem;
      margin: 0.5rem 0;
      background: var(--surface);
      border: 1px solid var(--border);
      border-radius: 6px;
      word-break: break-all;
    }
    .actions {
      display: flex;
      flex-wrap: wrap;
      gap: 0.25rem;
    }
    .target {
      min-width: 11rem;
      max-width: 16rem;
      overflow-wrap: anywhere;
    }
    .failed {
      color: var(--danger);
    }
    .ok {
      color: var(--ok, inherit);
    }
    td small {
      display: block;
      color: var(--muted);
      word-break: break-word;
    }
  `,
})
export class NotificationsPage {
  private readonly api = inject(PiengApi);
  private readonly window = inject(DOCUMENT).defaultView;
  protected readonly auth = inject(AuthService);
  protected readonly i18n = inject(I18n);
  protected readonly t = this.i18n.t.bind(this.i18n);
  protected readonly types = TYPES;
  protected readonly severities = SEVERITIES;
  protected readonly onKinds = ON;
  protected readonly platform = PLATFORM;

  protected readonly clients = toSignal(this.api.listClients(), { initialValue: [] });
  protected readonly channels = signal<Channel[]>([]);
  protected readonly deliveries = signal<Delivery[]>([]);
  protected readonly onlyFailed = signal(false);
  /** The channel being edited (null: the form creates). */
  protected readonly editing = signal<Channel | null>(null);
  /** A webhook's secret, just created: shown this once. */
  protected readonly secret = signal<{ name: string; secret: string } | null>(null);
  /** The answer of the test button per channel. */
  protected readonly tests = signal<Record<number, { delivered: boolean; error?: string } | 'sending'>>({});
  protected readonly error = signal<{ message: string; fields: Record<string, string> } | null>(null);

  protected readonly form = inject(FormBuilder).nonNullable.group({
    name: ['', Validators.required],
    clientId: [0],
    type: ['email' as ChannelType],
    to: [''],
    url: [''],
    botToken: [''],
    chatId: [''],
    minSeverity: ['warning' as Severity],
    raised: [true],
    cleared: [true],
    acknowledged: [false],
    enabled: [true],
  });

  constructor() {
    this.load();
  }

  protected typeLabel(type: ChannelType): string {
    return this.t(`notifications.type.${type}` as MessageKey);
  }

  protected severityLabel(s: string): string {
    return this.t(`notifications.severity.${s}` as MessageKey);
  }

  protected onLabel(o: string): string {
    return this.t(`notifications.on.${o}` as MessageKey);
  }

  protected statusLabel(s: string): string {
    return this.t(`notifications.status.${s}` as MessageKey);
  }

  protected clientName(id: number | null): string {
    if (id === null) return this.t('notifications.platformWide');
    return this.clients().find((c) => c.id === id)?.name ?? `#${id}`;
  }

  /** What a channel sends to, in a few words. */
  protected target(c: Channel): string {
    const config = c.config as Record<string, unknown>;
    if (c.type === 'webhook') return String(config['url'] ?? '');
    if (c.type === 'telegram') return `chat ${String(config['chatId'] ?? '')}`;
    return ((config['to'] as string[] | undefined) ?? []).join(', ');
  }

  protected fieldError(field: string): string | null {
    const fields = this.error()?.fields ?? {};
    return fields[field] ?? Object.entries(fields).find(([k]) => k.startsWith(`${field}[`))?.[1] ?? null;
  }

  protected setFailedOnly(value: boolean): void {
    this.onlyFailed.set(value);
    this.loadDeliveries();
  }

  protected startCreate(): void {
    this.editing.set(null);
    this.error.set(null);
    this.form.reset({
      clientId: this.clients()[0]?.id ?? 0,
      type: 'email',
      minSeverity: 'warning',
      raised: true,
      cleared: true,
      acknowledged: false,
      enabled: true,
    });
  }

  protected edit(c: Channel): void {
    const config = c.config as Record<string, unknown>;
    this.editing.set(c);
    this.error.set(null);
    this.form.reset({
      name: c.name,
      clientId: c.clientId ?? PLATFORM,
      type: c.type,
      to: ((config['to'] as string[] | undefined) ?? []).join(', '),
      url: String(config['url'] ?? ''),
      botToken: '',
      chatId: String(config['chatId'] ?? ''),
      minSeverity: c.minSeverity,
      raised: c.on.includes('raised'),
      cleared: c.on.includes('cleared'),
      acknowledged: c.on.includes('acknowledged'),
      enabled: c.enabled,
    });
  }

  private config(): Record<string, unknown> {
    const v = this.form.getRawValue();
    switch (v.type) {
      case 'email':
      case 'sms':
        return { to: list(v.to) };
      case 'webhook':
        return { url: v.url.trim() };
      case 'telegram':
        // On edit, a token left empty keeps the stored one.
        return { chatId: v.chatId.trim(), ...(v.botToken.trim() || !this.editing() ? { botToken: v.botToken.trim() } : {}) };
    }
  }

  protected save(): void {
    if (this.form.invalid) {
      this.form.markAllAsTouched();
      return;
    }
    const v = this.form.getRawValue();
    const on = ON.filter((o) => v[o]);
    const done = {
      next: (c: Channel) => {
        this.error.set(null);
        if (c.secret) this.secret.set({ name: c.name, secret: c.secret });
        this.startCreate();
        this.load();
      },
      error: (e: unknown) => this.error.set(formError(e)),
    };
    const editing = this.editing();
    if (editing) {
      const body: ApiBody<'updateNotificationChannel'> = { name: v.name.trim(), config: this.config(), minSeverity: v.minSeverity, on, enabled: v.enabled };
      this.api.updateNotificationChannel({ path: { id: editing.id }, body }).subscribe(done);
      return;
    }
    const clientId = this.auth.isStaff() ? (v.clientId === PLATFORM ? null : v.clientId) : undefined;
    const body: ApiBody<'createNotificationChannel'> = {
      name: v.name.trim(),
      type: v.type,
      config: this.config(),
      minSeverity: v.minSeverity,
      on,
      enabled: v.enabled,
      ...(clientId !== undefined ? { clientId } : {}),
    };
    this.api.createNotificationChannel({ body }).subscribe(done);
  }

  protected test(c: Channel): void {
    this.tests.update((m) => ({ ...m, [c.id]: 'sending' }));
    this.api.testNotificationChannel({ path: { id: c.id } }).subscribe({
      next: (r) => this.tests.update((m) => ({ ...m, [c.id]: r })),
      error: () => this.tests.update((m) => ({ ...m, [c.id]: { delivered: false } })),
    });
  }

  protected testResult(id: number): { delivered: boolean; error?: string } | 'sending' | undefined {
    return this.tests()[id];
  }

  protected remove(c: Channel): void {
    if (!this.window?.confirm(this.t('notifications.confirmDelete', { name: c.name }))) return;
    this.api.deleteNotificationChannel({ path: { id: c.id } }).subscribe({
      next: () => {
        if (this.editing()?.id === c.id) this.startCreate();
        this.load();
      },
      error: (e: unknown) => this.error.set(formError(e)),
    });
  }

  protected async copy(text: string): Promise<void> {
    await this.window?.navigator?.clipboard?.writeText(text).catch(() => undefined);
  }

  private load(): void {
    this.api.listNotificationChannels().subscribe((channels) => {
      this.channels.set(channels);
      if (!this.editing() && !this.form.controls.clientId.value) this.form.controls.clientId.setValue(this.clients()[0]?.id ?? 0);
    });
    this.loadDeliveries();
  }

  private loadDeliveries(): void {
    this.api
      .listNotifications({ query: { limit: 50, ...(this.onlyFailed() ? { status: 'failed' as const } : {}) } })
      .subscribe((rows) => this.deliveries.set(rows));
  }
}
