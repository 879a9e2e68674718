import { ChangeDetectionStrategy, Component, OnInit, computed, inject, signal } from '@angular/core';
import { FormBuilder, ReactiveFormsModule, Validators } from '@angular/forms';
import { RouterLink } from '@angular/router';
import { ApiBody, ApiResponse, PiengApi } from '@pieng/api-client';
import { catchError, forkJoin, map, of } from 'rxjs';
import { AuthService } from '../../core/auth.service';
import { I18n } from '../../core/i18n.service';
import { formError } from '../../shared/api-error';
import { ConfirmPanel } from '../../shared/confirm-panel';
import { calendarPeriods } from '../energy/energy-charts';

type Client = ApiResponse<'listClients'>[number];
type Device = ApiResponse<'listDevices'>[number];
type Language = Client['language'];
const LANGUAGES: readonly Language[] = ['en', 'pt-BR'];
const TIME_ZONES: readonly string[] = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : [];

export interface ClientCard {
  client: Client;
  total: number;
  online: number;
  offline: number;
  activeAlarms: number;
  energy: ClientEnergy | undefined;
}

/** The client's energy today and this month, from the energy API (resets and spikes handled there). */
export interface ClientEnergy {
  todayKWh: number;
  monthKWh: number;
  monthCost: number | null;
}

/** One card per client the user may see (the API scopes the lists: staff get all clients, a client's user its own). */
@Component({
  selector: 'pm-overview-page',
  imports: [RouterLink, ReactiveFormsModule, ConfirmPanel],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <div class="page-head">
      <h1>{{ t('overview.title') }}</h1>
    </div>
    @if (loading()) {
      <p class="muted">{{ t('common.loading') }}</p>
    }
    <div class="grid">
      @for (card of cards(); track card.client.id) {
        <section class="card client" [attr.aria-labelledby]="'client-' + card.client.id" data-testid="client-card">
          <h2 [id]="'client-' + card.client.id">
            <a [routerLink]="['/devices']" [queryParams]="{ clientId: card.client.id }">{{ card.client.name }}</a>
          </h2>
          <div class="kpis">
            <div>
              <span>{{ t('overview.devices') }}</span
              ><b class="kpi">{{ card.total }}</b>
            </div>
            <div>
              <span>{{ t('overview.online') }}</span
              ><b class="kpi ok">{{ card.online }}</b>
            </div>
            <div>
              <span>{{ t('overview.offline') }}</span
              ><b class="kpi" [class.bad]="card.offline > 0">{{ card.offline }}</b>
            </div>
            <div>
              <span>{{ t('overview.activeAlarms') }}</span>
              <a class="kpi" [class.bad]="card.activeAlarms > 0" routerLink="/alarms" [queryParams]="{ clientId: card.client.id }">{{ card.activeAlarms }}</a>
            </div>
            <div>
              <span>{{ t('overview.energyToday') }}</span>
              <a class="kpi" routerLink="/energy" [queryParams]="{ clientId: card.client.id, view: 'today' }" data-testid="energy-today"
                >{{ i18n.number(card.energy?.todayKWh, 3) }} <small>kWh</small></a
              >
            </div>
            <div>
              <span>{{ t('overview.energyMonth') }}</span>
              <a class="kpi" routerLink="/energy" [queryParams]="{ clientId: card.client.id, view: 'month' }" data-testid="energy-month">
                {{ i18n.number(card.energy?.monthKWh, 3) }} <small>kWh</small>
                @if (card.energy?.monthCost !== null && card.energy?.monthCost !== undefined) {
                  <small>&nbsp;· {{ money(card.energy!.monthCost!) }}</small>
                }
              </a>
            </div>
            @if (forecastByClient().get(card.client.id); as f) {
              <div data-testid="month-forecast">
                <span>{{ t('overview.monthForecast') }}</span>
                <a class="kpi" routerLink="/analytics/anomalies">
                  {{ i18n.number(f.month.forecastKWh, 1) }} <small>kWh</small>
                  @if (f.month.forecastCost !== null) {
                    <small>&nbsp;· {{ money(f.month.forecastCost) }}</small>
                  }
                </a>
                @if (f.pastErrorPct !== null) {
                  <small class="muted">{{ t('overview.forecastError', { pct: i18n.number(f.pastErrorPct, 1), days: f.pastErrorDays }) }}</small>
                }
              </div>
            }
          </div>
          @if (mayManage()) {
            @if (editing()?.id === card.client.id) {
              <form class="edit" [formGroup]="editForm" (ngSubmit)="saveClient(card.client)" novalidate data-testid="client-edit">
                <strong>{{ t('overview.editClientTitle', { name: card.client.name }) }}</strong>
                <label class="field"
                  >{{ t('overview.clientName') }}<input formControlName="name" name="editName" required />
                  @if (editFieldError('name'); as fe) {
                    <small class="error-text">{{ fe }}</small>
                  }
                </label>
                <label class="field"
                  >{{ t('overview.clientTimezone') }}<input formControlName="timezone" name="editTimezone" list="client-time-zones" />
                  @if (editFieldError('timezone'); as fe) {
                    <small class="error-text">{{ fe }}</small>
                  } @else {
                    <small class="muted">{{ t('overview.clientTimezoneHint') }}</small>
                  }
                </label>
                <label class="field"
                  >{{ t('overview.clientLanguage') }}
                  <select formControlName="language" name="editLanguage">
                    @for (l of languages; track l) {
                      <option [value]="l">{{ l === 'en' ? 'English' : 'Português (BR)' }}</option>
                    }
                  </select>
                </label>
                @if (editMessage(); as m) {
                  <p class="error-text" role="alert" data-testid="client-edit-error">{{ m }}</p>
                }
                <div class="row">
                  <button class="primary" type="submit" data-testid="save-client">{{ t('common.save') }}</button>
                  <button type="button" (click)="editing.set(null)">{{ t('common.cancel') }}</button>
                </div>
              </form>
            } @else if (deleting()?.id === card.client.id) {
              <pm-confirm-panel
                [title]="t('overview.deleteClientTitle', { name: card.client.name })"
                [confirmLabel]="t('overview.deleteClient')"
                [error]="deleteError()"
                (confirmed)="confirmDelete(card.client)"
                (cancelled)="deleting.set(null)"
              >
                <p class="muted">{{ t('overview.deleteClientGoes') }}</p>
              </pm-confirm-panel>
            } @else {
              <div class="row manage">
                <button
                  type="button"
                  (click)="startEdit(card.client)"
                  data-testid="edit-client"
                  [attr.aria-label]="t('overview.editClient') + ' ' + card.client.name"
                >
                  {{ t('overview.editClient') }}
                </button>
                <button
                  type="button"
                  class="danger"
                  (click)="askDelete(card.client)"
                  data-testid="delete-client"
                  [attr.aria-label]="t('overview.deleteClient') + ' ' + card.client.name"
                >
                  {{ t('overview.deleteClient') }}
                </button>
              </div>
            }
          }
        </section>
      } @empty {
        @if (!loading()) {
          <p class="muted">{{ t('common.none') }}</p>
        }
      }
    </div>
    <datalist id="client-time-zones">
      @for (z of timeZones; track z) {
        <option [value]="z"></option>
      }
    </datalist>
    @if (auth.isStaff() && auth.canEdit()) {
      <form class="card add" [formGroup]="clientForm" (ngSubmit)="addClient()">
        <h2>{{ t('overview.addClient') }}</h2>
        <div class="row">
          <label class="field">{{ t('overview.clientName') }}<input formControlName="name" required name="clientName" /></label>
          <label class="field">{{ t('overview.externalId') }}<input formControlName="externalId" name="externalId" /></label>
          <button class="primary" type="submit">{{ t('common.add') }}</button>
        </div>
        @if (clientError(); as e) {
          <p class="error-text" role="alert">{{ e }}</p>
        }
      </form>
    }
  `,
  styles: `
    .client h2 a {
      color: inherit;
      text-decoration: none;
    }
    .ok {
      color: var(--ok);
    }
    .bad {
      color: var(--danger);
    }
    a.kpi {
      text-decoration: none;
      color: inherit;
      display: block;
    }
    a.kpi.bad {
      color: var(--danger);
    }
    small {
      font-size: 0.7em;
      color: var(--muted);
    }
    .add {
      margin-top: 1rem;
    }
    .manage,
    .edit {
      margin-top: 0.75rem;
    }
    .edit {
      display: flex;
      flex-direction: column;
      gap: 0.5rem;
    }
  `,
})
export class OverviewPage implements OnInit {
  private readonly api = inject(PiengApi);
  protected readonly auth = inject(AuthService);
  protected readonly i18n = inject(I18n);
  protected readonly t = this.i18n.t.bind(this.i18n);
  protected readonly loading = signal(true);
  private readonly clients = signal<Client[]>([]);
  private readonly devices = signal<Device[]>([]);
  private readonly activeAlarmsByDevice = signal<Map<number, number>>(new Map());
  private readonly energyByClient = signal<Map<number, ClientEnergy>>(new Map());
  /** This month's forecast per client (measured so far + expected rest), with its own past error. */
  protected readonly forecastByClient = signal<Map<number, ApiResponse<'getForecast'>>>(new Map());
  protected readonly clientError = signal<string | null>(null);
  protected readonly clientForm = inject(FormBuilder).nonNullable.group({ name: ['', Validators.required], externalId: [''] });
  /** Editing and deleting a client is the platform admins' (the API answers 403 to anyone else). */
  protected readonly mayManage = computed(() => this.auth.open() || (this.auth.isStaff() && this.auth.user()?.role === 'admin'));
  protected readonly languages = LANGUAGES;
  protected readonly timeZones = TIME_ZONES;
  /** The client being edited, and the server's answer to the last save. */
  protected readonly editing = signal<Client | null>(null);
  protected readonly editError = signal<{ message: string; fields: Record<string, string> } | null>(null);
  protected readonly editForm = inject(FormBuilder).nonNullable.group({
    name: ['', Validators.required],
    timezone: [''],
    language: ['en' as Language],
  });
  /** The client whose deletion waits for confirmation, and why the last try failed (a 409 names what is still in the way). */
  protected readonly deleting = signal<Client | null>(null);
  protected readonly deleteError = signal<string | null>(null);
  /** The save's error above the buttons when no field shows it beside itself: once. */
  protected readonly editMessage = computed(() => {
    const e = this.editError();
    if (!e) return null;
    const shown = new Set(['name', 'timezone']);
    const elsewhere = Object.entries(e.fields).filter(([field]) => !shown.has(field));
    if (Object.keys(e.fields).length === 0) return e.message || null;
    return elsewhere.length ? elsewhere.map(([, message]) => message).join(' ') : null;
  });

  protected readonly cards = computed<ClientCard[]>(() =>
    this.clients().map((client) => {
      const devices = this.devices().filter((d) => d.clientId === client.id);
      const alarms = this.activeAlarmsByDevice();
      return {
        client,
        total: devices.length,
        online: devices.filter((d) => d.status === 'online').length,
        offline: devices.filter((d) => d.status === 'offline' || d.status === 'backoff').length,
        activeAlarms: devices.reduce((sum, d) => sum + (alarms.get(d.id) ?? 0), 0),
        energy: this.energyByClient().get(client.id),
      };
    }),
  );

  ngOnInit(): void {
    this.load();
  }

  protected addClient(): void {
    if (this.clientForm.invalid) {
      this.clientForm.markAllAsTouched();
      return;
    }
    const { name, externalId } = this.clientForm.getRawValue();
    this.api.createClient({ body: { name, ...(externalId ? { externalId } : {}) } }).subscribe({
      next: () => {
        this.clientForm.reset();
        this.clientError.set(null);
        this.load();
      },
      error: (e: unknown) => this.clientError.set(formError(e)?.message ?? null),
    });
  }

  protected startEdit(client: Client): void {
    this.deleting.set(null);
    this.editError.set(null);
    this.editForm.reset({ name: client.name, timezone: client.timezone, language: client.language });
    this.editing.set(client);
  }

  protected editFieldError(field: string): string | null {
    return this.editError()?.fields[field] ?? null;
  }

  /** Sends only what changed; an emptied time zone goes back to the platform's (PLANT_TIMEZONE). */
  protected saveClient(client: Client): void {
    if (this.editForm.invalid) {
      this.editForm.markAllAsTouched();
      return;
    }
    const v = this.editForm.getRawValue();
    const name = v.name.trim();
    const timezone = v.timezone.trim();
    const body: ApiBody<'updateClient'> = {
      ...(name !== client.name && { name }),
      ...(timezone !== client.timezone && { timezone: timezone || null }),
      ...(v.language !== client.language && { language: v.language }),
    };
    this.editError.set(null);
    if (Object.keys(body).length === 0) {
      this.editing.set(null);
      return;
    }
    this.api.updateClient({ path: { id: client.id }, body }).subscribe({
      next: (updated) => {
        this.editing.set(null);
        this.clients.update((all) => all.map((c) => (c.id === updated.id ? updated : c)));
      },
      error: (e: unknown) => this.editError.set(formError(e)),
    });
  }

  protected askDelete(client: Client): void {
    this.editing.set(null);
    this.deleteError.set(null);
    this.deleting.set(client);
  }

  protected confirmDelete(client: Client): void {
    this.api.deleteClient({ path: { id: client.id } }).subscribe({
      next: () => {
        this.deleting.set(null);
        this.clients.update((all) => all.filter((c) => c.id !== client.id));
      },
      // A 403 or 5xx is in the banner already: shown once.
      error: (e: unknown) => this.deleteError.set(formError(e)?.message ?? null),
    });
  }

  protected money(value: number): string {
    return new Intl.NumberFormat(this.i18n.locale(), { style: 'currency', currency: 'BRL' }).format(value);
  }

  private load(): void {
    forkJoin({
      clients: this.api.listClients(),
      devices: this.api.listDevices(),
      alarms: this.api.listAlarmEvents({ query: { active: true, limit: 1000 } }).pipe(catchError(() => of([]))),
    }).subscribe({
      next: ({ clients, devices, alarms }) => {
        this.clients.set(clients);
        this.devices.set(devices);
        const byDevice = new Map<number, number>();
        // Platform alarms (no device) are counted on the alarms page, not on a meter.
        for (const a of alarms) if (a.deviceId !== null) byDevice.set(a.deviceId, (byDevice.get(a.deviceId) ?? 0) + 1);
        this.activeAlarmsByDevice.set(byDevice);
        this.loading.set(false);
        // Today and this month in each client's own calendar (its time zone), one call each.
        const requests = clients.map((c) => {
          const now = new Date();
          const today = calendarPeriods('today', now, c.timezone).current;
          const month = calendarPeriods('month', now, c.timezone).current;
          const query = (p: typeof today, interval: 'day' | 'month') => ({
            query: { clientId: c.id, from: p.from.toISOString(), to: new Date(p.to.getTime() - 1).toISOString(), interval },
          });
          return forkJoin({ today: this.api.getEnergy(query(today, 'day')), month: this.api.getEnergy(query(month, 'month')) }).pipe(
            map(({ today, month }) => [c.id, { todayKWh: today.total.kWh, monthKWh: month.total.kWh, monthCost: month.total.cost ?? null }] as const),
            catchError(() => of(null)),
          );
        });
        if (requests.length) forkJoin(requests).subscribe((pairs) => this.energyByClient.set(new Map(pairs.filter((p) => p !== null))));
        const forecasts = clients.map((c) =>
          this.api.getForecast({ query: { clientId: c.id } }).pipe(
            map((f) => [c.id, f] as const),
            catchError(() => of(null)),
          ),
        );
        if (forecasts.length) forkJoin(forecasts).subscribe((pairs) => this.forecastByClient.set(new Map(pairs.filter((p) => p !== null))));
      },
      error: () => this.loading.set(false),
    });
  }
}
