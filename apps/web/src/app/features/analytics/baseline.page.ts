import { ChangeDetectionStrategy, Component, computed, effect, inject, signal } from '@angular/core';
import { toSignal } from '@angular/core/rxjs-interop';
import { ApiResponse, PiengApi } from '@pieng/api-client';
import { METRICS } from '@pieng/shared';
import type { ChartConfiguration } from 'chart.js';
import { BaseChartDirective } from 'ng2-charts';
import { I18n } from '../../core/i18n.service';
import { errorMessage } from '../../shared/api-error';
import { AnalyticsNav, dayEndIso, dayStartIso, localDay } from './analytics-nav';

type Transform = 'sum' | 'mean' | 'cdd' | 'hdd';
interface DriverRow {
  deviceId: number;
  metric: string;
  transform: Transform;
  base: number | null;
}

/** Energy baseline (ISO 50006 / IPMVP option C): fit against drivers, G14 diagnostics, save, and savings of a later period. */
@Component({
  selector: 'pm-baseline-page',
  imports: [AnalyticsNav, BaseChartDirective],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <h1>{{ t('analytics.title') }}</h1>
    <pm-analytics-nav />
    <form class="card row" (submit)="$event.preventDefault(); fit()">
      <label class="field"
        >{{ t('common.device') }}
        <select (change)="deviceId.set(+$any($event.target).value)" data-testid="baseline-device">
          @for (d of devices(); track d.id) {
            <option [value]="d.id" [selected]="d.id === deviceId()">{{ d.name }}</option>
          }
        </select>
      </label>
      <label class="field">{{ t('analytics.from') }}<input type="date" [value]="from()" (change)="from.set($any($event.target).value)" /></label>
      <label class="field">{{ t('analytics.to') }}<input type="date" [value]="to()" (change)="to.set($any($event.target).value)" /></label>
      <label class="field"
        >{{ t('analytics.interval') }}
        <select (change)="interval.set($any($event.target).value)">
          @for (i of intervals; track i) {
            <option [value]="i" [selected]="i === interval()">
              {{ t(i === 'day' ? 'analytics.interval.day' : i === 'week' ? 'analytics.interval.week' : 'analytics.interval.month') }}
            </option>
          }
        </select>
      </label>
      <button class="primary" type="submit" data-testid="baseline-fit">{{ t('analytics.baseline.fit') }}</button>
    </form>

    <section class="card">
      <h2>{{ t('analytics.baseline.drivers') }}</h2>
      @for (d of drivers(); track $index; let i = $index) {
        <div class="row">
          <select (change)="setDriver(i, { deviceId: +$any($event.target).value })" [attr.aria-label]="t('common.device')">
            @for (dev of devices(); track dev.id) {
              <option [value]="dev.id" [selected]="dev.id === d.deviceId">{{ dev.name }}</option>
            }
          </select>
          <select (change)="setDriver(i, { metric: $any($event.target).value })" [attr.aria-label]="t('common.metric')">
            @for (m of metricNames; track m) {
              <option [value]="m" [selected]="m === d.metric">{{ m }}</option>
            }
          </select>
          <select (change)="setDriver(i, { transform: $any($event.target).value })" [attr.aria-label]="t('analytics.baseline.transform')">
            @for (tr of transforms; track tr) {
              <option [value]="tr" [selected]="tr === d.transform">{{ tr }}</option>
            }
          </select>
          @if (d.transform === 'cdd' || d.transform === 'hdd') {
            <input
              type="number"
              step="any"
              [value]="d.base ?? ''"
              (change)="setDriver(i, { base: +$any($event.target).value })"
              [attr.aria-label]="t('analytics.baseline.base')"
              [placeholder]="t('analytics.baseline.base')"
            />
          }
          <button type="button" (click)="removeDriver(i)">{{ t('analytics.baseline.remove') }}</button>
        </div>
      }
      <button type="button" (click)="addDriver()" data-testid="baseline-add-driver">{{ t('analytics.baseline.addDriver') }}</button>
    </section>

    @if (error(); as e) {
      <p class="error-text" role="alert" data-testid="baseline-error">{{ e }}</p>
    }

    @if (result(); as r) {
      <section class="card" data-testid="baseline-result">
        <p>n = {{ r.n }} · R² = {{ i18n.number(r.r2, 4) }} · CV(RMSE) = {{ i18n.number(r.cvRmse, 2) }} % · NMBE = {{ i18n.number(r.nmbe, 2) }} %</p>
        <p [class]="r.g14.passes ? 'ok-text' : 'error-text'" data-testid="baseline-g14">
          {{
            t(r.g14.passes ? 'analytics.baseline.g14Pass' : 'analytics.baseline.g14Fail', {
              criteria: r.g14.criteria,
              cv: r.g14.cvRmseLimit,
              nmbe: r.g14.nmbeLimit,
            })
          }}
        </p>
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th>{{ t('analytics.baseline.coefficient') }}</th>
                <th>{{ t('analytics.baseline.value') }}</th>
                <th>{{ t('analytics.baseline.stdError') }}</th>
              </tr>
            </thead>
            <tbody>
              @for (c of r.coefficients; track c.name) {
                <tr>
                  <td>{{ c.name }}</td>
                  <td>{{ i18n.number(c.value, 4) }}</td>
                  <td>{{ i18n.number(c.standardError, 4) }}</td>
                </tr>
              }
            </tbody>
          </table>
        </div>
        <form class="row" (submit)="$event.preventDefault(); save()">
          <label class="field">{{ t('analytics.baseline.name') }}<input [value]="name()" (input)="name.set($any($event.target).value)" required /></label>
          <button type="submit" [disabled]="!name().trim()">{{ t('analytics.baseline.save') }}</button>
        </form>
      </section>
    }

    <section class="card">
      <h2>{{ t('analytics.baseline.saved') }}</h2>
      @for (b of saved(); track b.id) {
        <div class="row">
          <span>{{ b.name }} · R² {{ i18n.number(b.r2, 3) }} · CV(RMSE) {{ i18n.number(b.cvRmse, 1) }} %</span>
          <button type="button" (click)="showSavings(b.id)">{{ t('analytics.baseline.showSavings') }}</button>
        </div>
      }
      @if (savings(); as s) {
        <h3>{{ t('analytics.baseline.savings') }}: {{ i18n.number(s.savingsKWh, 2) }} kWh</h3>
        <div class="chart-box">
          @if (savingsChart(); as c) {
            <canvas baseChart [type]="'line'" [data]="c.data" [options]="c.options" role="img" [attr.aria-label]="t('analytics.baseline.savings')"></canvas>
          }
        </div>
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th>{{ t('analytics.balance.day') }}</th>
                <th>{{ t('analytics.baseline.expected') }}</th>
                <th>{{ t('analytics.baseline.actual') }}</th>
                <th>{{ t('analytics.baseline.cumulative') }}</th>
              </tr>
            </thead>
            <tbody>
              @for (p of s.points; track p.start) {
                <tr>
                  <td>{{ i18n.dateTime(p.start) }}</td>
                  <td>{{ i18n.number(p.expectedKWh, 2) }}</td>
                  <td>{{ i18n.number(p.actualKWh, 2) }}</td>
                  <td>{{ i18n.number(p.cumulativeKWh, 2) }}</td>
                </tr>
              }
            </tbody>
          </table>
        </div>
      }
    </section>
  `,
  styles: `
    .row {
      display: flex;
      flex-wrap: wrap;
      gap: 0.5rem;
      align-items: end;
      margin-bottom: 0.5rem;
    }
    .table-wrap {
      overflow-x: auto;
    }
  `,
})
export class BaselinePage {
  private readonly api = inject(PiengApi);
  protected readonly i18n = inject(I18n);
  protected readonly t = this.i18n.t.bind(this.i18n);
  protected readonly metricNames = Object.keys(METRICS);
  protected readonly intervals = ['day', 'week', 'month'] as const;
  protected readonly transforms: Transform[] = ['sum', 'mean', 'cdd', 'hdd'];
  protected readonly devices = toSignal(this.api.listDevices(), { initialValue: [] });
  protected readonly deviceId = signal<number | null>(null);
  protected readonly from = signal(localDay(90));
  protected readonly to = signal(localDay(1));
  protected readonly interval = signal<'day' | 'week' | 'month'>('day');
  protected readonly drivers = signal<DriverRow[]>([]);
  protected readonly result = signal<ApiResponse<'fitBaseline'> | null>(null);
  protected readonly error = signal<string | null>(null);
  protected readonly name = signal('');
  protected readonly saved = signal<ApiResponse<'listBaselines'>>([]);
  protected readonly savings = signal<ApiResponse<'getSavings'> | null>(null);

  protected readonly savingsChart = computed<ChartConfiguration<'line'> | null>(() => {
    const s = this.savings();
    if (!s) return null;
    return {
      type: 'line',
      data: {
        labels: s.points.map((p) => this.i18n.dateTime(p.start)),
        datasets: [
          { label: this.t('analytics.baseline.expected'), data: s.points.map((p) => p.expectedKWh), pointRadius: 0 },
          { label: this.t('analytics.baseline.actual'), data: s.points.map((p) => p.actualKWh), pointRadius: 0 },
          { label: this.t('analytics.baseline.cumulative'), data: s.points.map((p) => p.cumulativeKWh), pointRadius: 0, borderDash: [4, 4] },
        ],
      },
      options: { responsive: true, maintainAspectRatio: false, animation: false },
    };
  });

  constructor() {
    effect(() => {
      const devices = this.devices();
      if (devices.length && this.deviceId() === null) this.deviceId.set(devices[0].id);
    });
    effect(() => {
      const deviceId = this.deviceId();
      if (deviceId !== null) this.loadSaved(deviceId);
    });
  }

  protected addDriver(): void {
    const first = this.devices()[0];
    if (first) this.drivers.update((list) => [...list, { deviceId: first.id, metric: 'temperature', transform: 'cdd', base: 22 }]);
  }

  protected removeDriver(i: number): void {
    this.drivers.update((list) => list.filter((_, k) => k !== i));
  }

  protected setDriver(i: number, change: Partial<DriverRow>): void {
    this.drivers.update((list) => list.map((d, k) => (k === i ? { ...d, ...change } : d)));
  }

  private body() {
    return {
      deviceId: this.deviceId() as number,
      from: dayStartIso(this.from()),
      to: dayEndIso(this.to()),
      interval: this.interval(),
      drivers: this.drivers().map((d) => ({
        deviceId: d.deviceId,
        metric: d.metric,
        transform: d.transform,
        ...(d.base !== null && (d.transform === 'cdd' || d.transform === 'hdd') ? { base: d.base } : {}),
      })),
    };
  }

  protected fit(): void {
    if (this.deviceId() === null) return;
    this.error.set(null);
    this.api.fitBaseline({ body: this.body() }).subscribe({
      next: (r) => this.result.set(r),
      error: (e: unknown) => {
        this.result.set(null);
        this.error.set(errorMessage(e) ?? this.t('error.server'));
      },
    });
  }

  protected save(): void {
    this.api.saveBaseline({ body: { ...this.body(), name: this.name().trim() } }).subscribe({
      next: () => this.loadSaved(this.deviceId() as number),
      error: (e: unknown) => this.error.set(errorMessage(e) ?? this.t('error.server')),
    });
  }

  protected showSavings(id: number): void {
    // The reporting period is the one in the form: pick it after the fitted period.
    this.api.getSavings({ path: { id }, query: { from: dayStartIso(this.from()), to: dayEndIso(this.to()) } }).subscribe({
      next: (s) => this.savings.set(s),
      error: (e: unknown) => this.error.set(errorMessage(e) ?? this.t('error.server')),
    });
  }

  private loadSaved(deviceId: number): void {
    this.api.listBaselines({ query: { deviceId } }).subscribe({ next: (list) => this.saved.set(list), error: () => this.saved.set([]) });
  }
}
