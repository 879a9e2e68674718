import { ChangeDetectionStrategy, Component, computed, effect, inject, signal } from '@angular/core';
import { toSignal } from '@angular/core/rxjs-interop';
import { ApiResponse, PiengApi } from '@pieng/api-client';
import type { ChartConfiguration } from 'chart.js';
import { BaseChartDirective } from 'ng2-charts';
import { I18n } from '../../core/i18n.service';
import { errorMessage } from '../../shared/api-error';
import { AnalyticsNav, dayEndIso, dayStartIso, localDay } from './analytics-nav';

/** Consumption anomalies: hourly kWh against the expected band (median ± 3.5 · MAD / 0.6745), and the list of anomalies. */
@Component({
  selector: 'pm-anomalies-page',
  imports: [AnalyticsNav, BaseChartDirective],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <h1>{{ t('analytics.title') }}</h1>
    <pm-analytics-nav />
    <form class="card row" (submit)="$event.preventDefault(); load()">
      <label class="field"
        >{{ t('common.device') }}
        <select (change)="deviceId.set(+$any($event.target).value)" data-testid="anomalies-device">
          @for (d of devices(); track d.id) {
            <option [value]="d.id" [selected]="d.id === deviceId()">{{ d.name }}</option>
          }
        </select>
      </label>
      <label class="field">{{ t('analytics.from') }}<input type="date" [value]="from()" (change)="from.set($any($event.target).value)" /></label>
      <label class="field">{{ t('analytics.to') }}<input type="date" [value]="to()" (change)="to.set($any($event.target).value)" /></label>
      <button class="primary" type="submit">{{ t('analytics.run') }}</button>
    </form>
    <p class="muted">{{ t('analytics.anomalies.hint') }}</p>
    @if (error(); as e) {
      <p class="error-text" role="alert">{{ e }}</p>
    }
    @if (result(); as r) {
      <section class="card" data-testid="anomalies-result">
        <p>{{ t('analytics.anomalies.count', { n: r.anomalies, hours: r.hours.length }) }}</p>
        <div class="chart-box">
          @if (chart(); as c) {
            <canvas baseChart [type]="'line'" [data]="c.data" [options]="c.options" role="img" [attr.aria-label]="t('analytics.anomalies.band')"></canvas>
          }
        </div>
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th>{{ t('analytics.time') }}</th>
                <th>kWh</th>
                <th>{{ t('analytics.anomalies.expected') }}</th>
                <th>MAD</th>
                <th>z</th>
              </tr>
            </thead>
            <tbody>
              @for (h of anomalies(); track h.start + h.deviceId) {
                <tr>
                  <td>{{ i18n.dateTime(h.start) }}</td>
                  <td>{{ i18n.number(h.kWh, 2) }}</td>
                  <td>{{ i18n.number(h.expectedKWh, 2) }}</td>
                  <td>{{ i18n.number(h.mad, 2) }}</td>
                  <td>
                    <b>{{ i18n.number(h.z, 2) }}</b>
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
    .table-wrap {
      overflow-x: auto;
    }
  `,
})
export class AnomaliesPage {
  private readonly api = inject(PiengApi);
  protected readonly i18n = inject(I18n);
  protected readonly t = this.i18n.t.bind(this.i18n);
  protected readonly devices = toSignal(this.api.listDevices(), { initialValue: [] });
  protected readonly deviceId = signal<number | null>(null);
  protected readonly from = signal(localDay(7));
  protected readonly to = signal(localDay(0));
  protected readonly result = signal<ApiResponse<'getAnomalies'> | null>(null);
  protected readonly error = signal<string | null>(null);
  protected readonly anomalies = computed(() => (this.result()?.hours ?? []).filter((h) => h.anomaly));

  protected readonly chart = computed<ChartConfiguration<'line'> | null>(() => {
    const hours = this.result()?.hours ?? [];
    if (!hours.length) return null;
    return {
      type: 'line',
      data: {
        labels: hours.map((h) => this.i18n.dateTime(h.start)),
        datasets: [
          {
            label: `${this.t('analytics.anomalies.band')} (max)`,
            data: hours.map((h) => h.bandHighKWh),
            pointRadius: 0,
            borderWidth: 0,
            fill: '+1',
            backgroundColor: 'rgba(120,120,120,.2)',
          },
          { label: `${this.t('analytics.anomalies.band')} (min)`, data: hours.map((h) => Math.max(0, h.bandLowKWh)), pointRadius: 0, borderWidth: 0 },
          {
            label: 'kWh',
            data: hours.map((h) => h.kWh),
            pointRadius: hours.map((h) => (h.anomaly ? 4 : 0)),
            pointBackgroundColor: hours.map((h) => (h.anomaly ? '#c62828' : 'transparent')),
          },
        ],
      },
      options: { responsive: true, maintainAspectRatio: false, animation: false, plugins: { legend: { display: false } } },
    };
  });

  constructor() {
    effect(() => {
      const devices = this.devices();
      if (devices.length && this.deviceId() === null) this.deviceId.set(devices[0].id);
    });
  }

  protected load(): void {
    const deviceId = this.deviceId();
    if (deviceId === null) return;
    this.error.set(null);
    this.api.getAnomalies({ query: { deviceId, from: dayStartIso(this.from()), to: dayEndIso(this.to()) } }).subscribe({
      next: (r) => this.result.set(r),
      error: (e: unknown) => {
        this.result.set(null);
        this.error.set(errorMessage(e) ?? this.t('error.server'));
      },
    });
  }
}
