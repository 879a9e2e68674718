import { ChangeDetectionStrategy, Component, computed, effect, inject, signal } from '@angular/core';
import { toSignal } from '@angular/core/rxjs-interop';
import { ApiResponse, PiengApi } from '@pieng/api-client';
import { I18n } from '../../core/i18n.service';
import { errorMessage } from '../../shared/api-error';
import { AnalyticsNav, dayEndIso, dayStartIso, localDay } from './analytics-nav';

/** "Where the energy goes": the main meter against the sum of its sub-meters per day, and the unmetered share. */
@Component({
  selector: 'pm-energy-balance-page',
  imports: [AnalyticsNav],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <h1>{{ t('analytics.nav.balance') }}</h1>
    <pm-analytics-nav />
    <form class="card row" (submit)="$event.preventDefault(); load()">
      <label class="field"
        >{{ t('analytics.balance.main') }}
        <select (change)="mainId.set(+$any($event.target).value)" data-testid="balance-main">
          @for (d of devices(); track d.id) {
            <option [value]="d.id" [selected]="d.id === mainId()">{{ d.name }}</option>
          }
        </select>
      </label>
      <fieldset class="field">
        <legend>{{ t('analytics.balance.subs') }}</legend>
        @for (d of candidates(); track d.id) {
          <label><input type="checkbox" [checked]="subIds().includes(d.id)" (change)="toggle(d.id)" /> {{ d.name }}</label>
        }
      </fieldset>
      <label class="field">{{ t('analytics.from') }}<input type="date" [value]="from()" (change)="from.set($any($event.target).value)" /></label>
      <label class="field">{{ t('analytics.to') }}<input type="date" [value]="to()" (change)="to.set($any($event.target).value)" /></label>
      <label class="field"
        >{{ t('analytics.balance.threshold')
        }}<input type="number" min="0" max="100" [value]="threshold()" (change)="threshold.set(+$any($event.target).value)"
      /></label>
      <button class="primary" type="submit" [disabled]="!subIds().length">{{ t('analytics.run') }}</button>
    </form>
    @if (error(); as e) {
      <p class="error-text" role="alert">{{ e }}</p>
    }
    @if (result(); as r) {
      <section class="card" data-testid="balance-result">
        <div class="kpis">
          <div>
            <span>{{ t('analytics.balance.main') }}</span
            ><b class="kpi">{{ i18n.number(r.total.mainKWh, 1) }} kWh</b>
          </div>
          <div>
            <span>{{ t('analytics.balance.subSum') }}</span
            ><b class="kpi">{{ i18n.number(r.total.subKWh, 1) }}</b>
          </div>
          <div>
            <span>{{ t('analytics.balance.share') }}</span
            ><b class="kpi">{{ i18n.number(r.total.unmeteredPct, 1) }} %</b>
          </div>
        </div>
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th>{{ t('analytics.balance.day') }}</th>
                <th>{{ t('analytics.balance.main') }} (kWh)</th>
                <th>{{ t('analytics.balance.subSum') }}</th>
                <th>{{ t('analytics.balance.unmetered') }}</th>
                <th>%</th>
              </tr>
            </thead>
            <tbody>
              @for (d of r.days; track d.start) {
                <tr [class.flagged]="d.flagged">
                  <td>{{ i18n.dateTime(d.start) }}</td>
                  <td>{{ i18n.number(d.mainKWh, 2) }}</td>
                  <td>{{ i18n.number(d.subKWh, 2) }}</td>
                  <td>{{ i18n.number(d.unmeteredKWh, 2) }}</td>
                  <td>
                    {{ i18n.number(d.unmeteredPct, 1) }}
                    @if (d.flagged) {
                      ⚠
                    }
                  </td>
                </tr>
              }
            </tbody>
          </table>
        </div>
      </section>
    }
  `,
  styles: `
    fieldset {
      border: none;
      padding: 0;
    }
    fieldset label {
      display: block;
    }
    tr.flagged td {
      color: var(--danger, #c62828);
      font-weight: 600;
    }
    .table-wrap {
      overflow-x: auto;
    }
  `,
})
export class EnergyBalancePage {
  private readonly api = inject(PiengApi);
  protected readonly i18n = inject(I18n);
  protected readonly t = this.i18n.t.bind(this.i18n);
  protected readonly devices = toSignal(this.api.listDevices(), { initialValue: [] });
  protected readonly mainId = signal<number | null>(null);
  protected readonly subIds = signal<number[]>([]);
  protected readonly from = signal(localDay(7));
  protected readonly to = signal(localDay(1));
  protected readonly threshold = signal(10);
  protected readonly result = signal<ApiResponse<'getBalance'> | null>(null);
  protected readonly error = signal<string | null>(null);
  /** Sub-meter candidates: the main meter's client's other devices. */
  protected readonly candidates = computed(() => {
    const main = this.devices().find((d) => d.id === this.mainId());
    return this.devices().filter((d) => main && d.id !== main.id && d.clientId === main.clientId && d.deviceType !== 'virtual');
  });

  constructor() {
    effect(() => {
      const devices = this.devices();
      if (devices.length && this.mainId() === null) this.mainId.set(devices[0].id);
    });
  }

  protected toggle(id: number): void {
    this.subIds.update((ids) => (ids.includes(id) ? ids.filter((x) => x !== id) : [...ids, id]));
  }

  protected load(): void {
    const mainDeviceId = this.mainId();
    if (mainDeviceId === null) return;
    this.error.set(null);
    this.api
      .getBalance({
        query: {
          mainDeviceId,
          subDeviceIds: this.subIds().join(','),
          from: dayStartIso(this.from()),
          to: dayEndIso(this.to()),
          thresholdPct: this.threshold(),
        },
      })
      .subscribe({
        next: (r) => this.result.set(r),
        error: (e: unknown) => {
          this.result.set(null);
          this.error.set(errorMessage(e) ?? this.t('error.server'));
        },
      });
  }
}
