import { ChangeDetectionStrategy, Component, computed, inject, input, signal } from '@angular/core';
import { Router, RouterLink } from '@angular/router';
import { ApiResponse, PiengApi } from '@pieng/api-client';
import { AuthService } from '../../core/auth.service';
import { I18n } from '../../core/i18n.service';
import type { MessageKey } from '../../core/translations';
import { formError } from '../../shared/api-error';
import { ConfirmPanel } from '../../shared/confirm-panel';

type Device = ApiResponse<'listDevices'>[number];
type Client = ApiResponse<'listClients'>[number];

@Component({
  selector: 'pm-device-list-page',
  imports: [RouterLink, ConfirmPanel],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <div class="page-head">
      <h1>{{ t('devices.title') }}</h1>
      <div class="row">
        <label class="field"
          >{{ t('common.client') }}
          <select [value]="clientFilter()" (change)="filterByClient($any($event.target).value)" data-testid="client-filter">
            <option value="">{{ t('common.all') }}</option>
            @for (c of clients(); track c.id) {
              <option [value]="c.id" [selected]="String(c.id) === clientFilter()">{{ c.name }}</option>
            }
          </select>
        </label>
        @if (auth.canEdit()) {
          <a class="button primary" routerLink="/devices/new" [queryParams]="clientFilter() ? { clientId: clientFilter() } : {}">{{ t('devices.add') }}</a>
        }
      </div>
    </div>
    <div class="card table-wrap">
      <table>
        <thead>
          <tr>
            <th scope="col">{{ t('common.name') }}</th>
            <th scope="col">{{ t('common.client') }}</th>
            <th scope="col">{{ t('devices.type') }}</th>
            <th scope="col">{{ t('devices.status') }}</th>
            <th scope="col">{{ t('devices.lastSeen') }}</th>
            <th scope="col">{{ t('devices.lastError') }}</th>
            @if (auth.canEdit()) {
              <th scope="col">
                <span class="sr-only">{{ t('common.actions') }}</span>
              </th>
            }
          </tr>
        </thead>
        <tbody>
          @for (d of visible(); track d.id) {
            <tr data-testid="device-row">
              <td>
                <a [routerLink]="['/devices', d.id]">{{ d.name }}</a>
              </td>
              <td>{{ clientName(d.clientId) }}</td>
              <td>{{ d.deviceType }}{{ driverOf(d) }}</td>
              <td>
                <span class="status" [class]="d.status">{{ t(statusKey(d.status)) }}</span>
              </td>
              <td>{{ i18n.dateTime(d.lastSeenAt) }}</td>
              <td class="error-text">{{ d.lastError ?? '' }}</td>
              @if (auth.canEdit()) {
                <td>
                  <button
                    type="button"
                    class="danger"
                    (click)="askDelete(d)"
                    data-testid="delete-device"
                    [attr.aria-label]="t('devices.delete') + ' ' + d.name"
                  >
                    {{ t('devices.delete') }}
                  </button>
                </td>
              }
            </tr>
            @if (deleting()?.id === d.id) {
              <tr>
                <td colspan="7">
                  <pm-confirm-panel
                    [title]="t('devices.deleteTitle', { name: d.name })"
                    [confirmLabel]="purge() ? t('devices.deleteWithReadings') : t('devices.delete')"
                    [error]="deleteError()"
                    (confirmed)="confirmDelete(d)"
                    (cancelled)="deleting.set(null)"
                  >
                    <p class="muted">{{ t('devices.deleteKeeps') }}</p>
                    <label
                      ><input type="checkbox" [checked]="purge()" (change)="purge.set($any($event.target).checked)" data-testid="delete-purge" />
                      {{ t('devices.deletePurge') }}</label
                    >
                  </pm-confirm-panel>
                </td>
              </tr>
            }
          } @empty {
            <tr>
              <td colspan="7" class="muted">{{ loading() ? t('common.loading') : t('common.none') }}</td>
            </tr>
          }
        </tbody>
      </table>
    </div>
  `,
})
export class DeviceListPage {
  private readonly api = inject(PiengApi);
  private readonly router = inject(Router);
  protected readonly auth = inject(AuthService);
  protected readonly i18n = inject(I18n);
  protected readonly t = this.i18n.t.bind(this.i18n);
  /** `?clientId=` from the overview's card link. */
  readonly clientId = input<string>();
  protected readonly clientFilter = computed(() => this.clientId() ?? '');
  protected readonly loading = signal(true);
  protected readonly devices = signal<Device[]>([]);
  protected readonly clients = signal<Client[]>([]);
  protected readonly String = String;
  /** The device whose deletion waits for confirmation, whether its readings go too, and why the last try failed. */
  protected readonly deleting = signal<Device | null>(null);
  protected readonly purge = signal(false);
  protected readonly deleteError = signal<string | null>(null);
  protected readonly visible = computed(() => {
    const id = Number(this.clientFilter());
    return id ? this.devices().filter((d) => d.clientId === id) : this.devices();
  });

  constructor() {
    this.api.listClients().subscribe((clients) => this.clients.set(clients));
    this.api.listDevices().subscribe({
      next: (devices) => {
        this.devices.set(devices);
        this.loading.set(false);
      },
      error: () => this.loading.set(false),
    });
  }

  protected askDelete(device: Device): void {
    this.deleting.set(device);
    this.purge.set(false);
    this.deleteError.set(null);
  }

  protected confirmDelete(device: Device): void {
    this.api.deleteDevice({ path: { id: device.id }, query: { purge: this.purge() } }).subscribe({
      next: () => {
        this.deleting.set(null);
        this.devices.update((all) => all.filter((d) => d.id !== device.id));
      },
      // A 403 or 5xx is in the banner already: shown once.
      error: (e: unknown) => this.deleteError.set(formError(e)?.message ?? null),
    });
  }

  protected filterByClient(value: string): void {
    void this.router.navigate([], { queryParams: { clientId: value || null } });
  }

  protected clientName(id: number): string {
    return this.clients().find((c) => c.id === id)?.name ?? `#${id}`;
  }

  protected driverOf(d: Device): string {
    const driver = d.config['driver'];
    return typeof driver === 'string' ? ` · ${driver}` : '';
  }

  protected statusKey(status: Device['status']): MessageKey {
    return `status.${status}` as MessageKey;
  }
}
