import { ChangeDetectionStrategy, Component, DestroyRef, computed, effect, inject, input, signal } from '@angular/core';
import { takeUntilDestroyed } from '@angular/core/rxjs-interop';
import { RouterLink } from '@angular/router';
import { ApiResponse, LiveReading, PiengApi } from '@pieng/api-client';
import { METRICS } from '@pieng/shared';
import type { ChartConfiguration } from 'chart.js';
import { BaseChartDirective } from 'ng2-charts';
import { Subscription } from 'rxjs';
import { AuthService } from '../../core/auth.service';
import { I18n } from '../../core/i18n.service';
import { LiveReadingsService, LiveStatus } from '../../core/live-readings.service';
import { ThemeService } from '../../core/theme.service';
import type { MessageKey } from '../../core/translations';
import { errorMessage } from '../../shared/api-error';
import { themeColor } from '../../shared/chart-colors';
import { PERIODS, Period, periodRange, toLocalInput } from '../../shared/period';
import { seriesChart } from './series-chart';
import { TestReadResult } from './test-read-result';
import { PzemCommands } from './pzem-commands';

type Device = ApiResponse<'getDevice'>;

/** Label of a metric: the shared table's name when known, the raw name for generic register maps. */
export function metricLabel(metric: string): string {
  return (METRICS as Record<string, { label: string } | undefined>)[metric]?.label ?? metric;
}

import { DownloadMenu, DownloadTarget } from '../../shared/file-download';
@Component({
  selector: 'pm-device-detail-page',
  imports: [RouterLink, BaseChartDirective, TestReadResult, PzemCommands, DownloadMenu],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    @if (device(); as d) {
      <div class="page-head">
        <h1>
          {{ d.name }} <span class="status" [class]="d.status">{{ t(statusKey(d.status)) }}</span>
        </h1>
        <div class="row">
          @if (auth.canEdit()) {
            <button type="button" (click)="testRead()" [disabled]="reading()" [title]="t('device.testReadHint')" data-testid="test-read">
              {{ t('device.testRead') }}
            </button>
            <a class="button" [routerLink]="['/devices', d.id, 'edit']">{{ t('common.edit') }}</a>
          }
        </div>
      </div>
      @if (d.lineWarning) {
        <p class="warn-text" role="note">{{ t('device.lineWarning') }}: {{ d.lineWarning }}</p>
      }
      @if (d.lastError) {
        <p class="error-text">{{ t('devices.lastError') }}: {{ d.lastError }}</p>
      }
      <pm-test-read-result [result]="testResult()" [error]="testError()" />
      @if (auth.canEdit() && d.deviceType === 'modbus' && (d.config['driver'] === 'pzem004t' || d.config['driver'] === 'pzem017')) {
        <pm-pzem-commands [device]="d" (changed)="reload()" />
      }

      <section class="card" aria-labelledby="live-title">
        <div class="page-head">
          <h2 id="live-title">{{ t('device.live') }}</h2>
          <span class="status" [class.online]="liveStatus() === 'open'" aria-live="polite">{{
            liveStatus() === 'open' ? t('device.liveConnected') : liveStatus() === 'connecting' ? t('device.liveConnecting') : t('device.liveDisconnected')
          }}</span>
        </div>
        @if (live(); as reading) {
          <div class="kpis" data-testid="live-values">
            @for (m of liveMetrics(); track m.metric) {
              <div [attr.data-metric]="m.metric">
                <span>{{ label(m.metric) }}</span
                ><b class="kpi">{{ i18n.number(m.value, 3) }}</b> <small class="muted">{{ m.unit }}</small>
              </div>
            }
          </div>
          <p class="muted">{{ i18n.dateTime(reading.ts) }} · {{ reading.source }}</p>
        } @else {
          <p class="muted">{{ t('device.liveWaiting') }}</p>
        }
      </section>

      <section class="card" aria-labelledby="chart-title">
        <div class="page-head">
          <h2 id="chart-title">{{ t('device.charts') }}</h2>
          <pm-download-menu [target]="downloadTarget()" />
        </div>
        <fieldset class="row metrics">
          <legend>{{ t('device.metrics') }}</legend>
          @for (m of availableMetrics(); track m) {
            <label class="check"
              ><input type="checkbox" [checked]="selected().includes(m)" (change)="toggleMetric(m)" [attr.data-metric]="m" />{{ label(m) }}</label
            >
          }
        </fieldset>
        <div class="row">
          <label class="field"
            >{{ t('device.period') }}
            <select [value]="period()" (change)="period.set($any($event.target).value)" data-testid="period">
              @for (p of periods; track p) {
                <option [value]="p" [selected]="p === period()">{{ t(periodKey(p)) }}</option>
              }
            </select>
          </label>
          @if (period() === 'custom') {
            <label class="field"
              >{{ t('common.from') }}<input type="datetime-local" [value]="customFrom()" (change)="customFrom.set($any($event.target).value)"
            /></label>
            <label class="field"
              >{{ t('common.to') }}<input type="datetime-local" [value]="customTo()" (change)="customTo.set($any($event.target).value)"
            /></label>
          }
        </div>
        <div class="chart-box" data-testid="series-chart">
          @if (chart(); as c) {
            <canvas baseChart [type]="'line'" [data]="c.data" [options]="c.options" [attr.aria-label]="t('device.charts')" role="img"></canvas>
          }
        </div>
        @if (chartEmpty()) {
          <p class="muted">{{ t('device.noData') }}</p>
        } @else if (series(); as s) {
          <p class="muted small" data-testid="series-buckets">{{ t('device.buckets', { step: stepLabel(s.bucketMs), source: sourceLabel(s.resolution) }) }}</p>
        }
      </section>
    } @else {
      <p class="muted">{{ t('common.loading') }}</p>
    }
  `,
  styles: `
    h1 .status {
      vertical-align: middle;
      font-size: 0.8rem;
    }
    .warn-text {
      color: var(--warn);
    }
    fieldset {
      border: 0;
      padding: 0;
      margin: 0 0 0.75rem;
    }
    legend {
      color: var(--muted);
      font-size: 0.85rem;
      margin-bottom: 0.3rem;
    }
    .chart-box {
      margin-top: 0.75rem;
    }
  `,
})
export class DeviceDetailPage {
  private readonly api = inject(PiengApi);
  private readonly liveService = inject(LiveReadingsService);
  private readonly theme = inject(ThemeService);
  private readonly destroyRef = inject(DestroyRef);
  protected readonly auth = inject(AuthService);
  protected readonly i18n = inject(I18n);
  protected readonly t = this.i18n.t.bind(this.i18n);
  protected readonly periods = PERIODS;
  protected readonly label = metricLabel;

  /** Route parameter `:id`. */
  readonly id = input.required<string>();
  protected readonly device = signal<Device | null>(null);
  protected readonly live = signal<LiveReading | null>(null);
  protected readonly liveStatus = signal<LiveStatus>('connecting');
  private readonly seenMetrics = signal<string[]>([]);
  protected readonly selected = signal<string[]>([]);
  protected readonly period = signal<Period>('hour');
  protected readonly customFrom = signal(toLocalInput(new Date(Date.now() - 24 * 3600_000)));
  protected readonly customTo = signal(toLocalInput(new Date()));
  protected readonly series = signal<ApiResponse<'getSeries'> | null>(null);
  /** The chart's metrics and period at the resolution the chart reads (raw or a rollup), for the Download menu. */
  protected readonly downloadTarget = computed<DownloadTarget | null>(() => {
    const s = this.series();
    const device = this.device();
    if (!s || !device) return null;
    return {
      operation: 'exportReadings',
      query: { deviceId: device.id, metrics: s.series.map((x) => x.metric).join(','), from: s.from, to: s.to, resolution: s.resolution },
    };
  });
  protected readonly reading = signal(false);
  protected readonly testResult = signal<ApiResponse<'pollDevice'> | null>(null);
  protected readonly testError = signal<string | null>(null);

  protected readonly availableMetrics = computed(() => {
    const names = new Set(this.seenMetrics());
    for (const m of Object.keys(this.live()?.metrics ?? {})) names.add(m);
    return [...names];
  });
  protected readonly liveMetrics = computed(() =>
    Object.entries(this.live()?.metrics ?? {}).map(([metric, value]) => ({
      metric,
      value,
      unit: (METRICS as Record<string, { unit: string } | undefined>)[metric]?.unit ?? '',
    })),
  );
  protected readonly chart = computed<ChartConfiguration<'line'> | null>(() => {
    const series = this.series();
    this.theme.theme(); // redraw in the new theme's colours
    if (!series) return null;
    return seriesChart(series, metricLabel, this.i18n.locale(), themeColor('--chart-grid', 'rgba(0,0,0,.1)'), themeColor('--muted', '#666'));
  });
  protected readonly chartEmpty = computed(() => {
    const s = this.series();
    return s !== null && s.series.every((x) => x.points.length === 0);
  });

  private liveSubscription: Subscription | null = null;
  private seriesSubscription: Subscription | null = null;

  constructor() {
    effect(() => this.load(Number(this.id())));
    effect(() => {
      const device = this.device();
      const metrics = this.selected();
      const range = periodRange(this.period(), new Date(), { from: new Date(this.customFrom()), to: new Date(this.customTo()) });
      if (!device || metrics.length === 0) return;
      this.seriesSubscription?.unsubscribe();
      this.seriesSubscription = this.api
        .getSeries({ query: { deviceId: device.id, metrics: metrics.join(','), from: range.from.toISOString(), to: range.to.toISOString(), points: 120 } })
        .subscribe((s) => this.series.set(s));
    });
    this.destroyRef.onDestroy(() => {
      this.liveSubscription?.unsubscribe();
      this.seriesSubscription?.unsubscribe();
    });
  }

  protected sourceLabel(resolution: ApiResponse<'getSeries'>['resolution']): string {
    const keys = { raw: 'device.source.raw', '1m': 'device.source.1m', '15m': 'device.source.15m', '1h': 'device.source.1h' } as const;
    return this.t(keys[resolution]);
  }

  /** A bucket width as people say it: 30 s, 5 min, 1 h, 1 d. */
  protected stepLabel(ms: number): string {
    if (ms % 86_400_000 === 0) return `${ms / 86_400_000} d`;
    if (ms % 3_600_000 === 0) return `${ms / 3_600_000} h`;
    if (ms % 60_000 === 0) return `${ms / 60_000} min`;
    return `${ms / 1000} s`;
  }

  protected toggleMetric(metric: string): void {
    this.selected.update((list) => (list.includes(metric) ? list.filter((m) => m !== metric) : [...list, metric]));
  }

  protected testRead(): void {
    const device = this.device();
    if (!device) return;
    this.reading.set(true);
    this.testError.set(null);
    this.testResult.set(null);
    this.api.pollDevice({ path: { id: device.id } }).subscribe({
      next: (result) => {
        this.reading.set(false);
        this.testResult.set(result);
      },
      error: (e: unknown) => {
        this.reading.set(false);
        // A meter that does not answer is a 502/504 with the API's explanation: shown, as the form shows it (no connection at all: the banner says so).
        this.testError.set(errorMessage(e));
      },
    });
  }

  protected statusKey(status: Device['status']): MessageKey {
    return `status.${status}` as MessageKey;
  }

  protected periodKey(period: Period): MessageKey {
    return `period.${period}` as MessageKey;
  }

  /** The device again (after a PZEM address change), without touching the charts or the live stream. */
  protected reload(): void {
    this.api.getDevice({ path: { id: Number(this.id()) } }).subscribe((device) => this.device.set(device));
  }

  private load(id: number): void {
    this.liveSubscription?.unsubscribe();
    this.api.getDevice({ path: { id } }).subscribe((device) => this.device.set(device));
    // Which metrics this device reports: from the last day of raw values, then from live readings as they come.
    this.api.listMeasurements({ query: { deviceId: id, from: new Date(Date.now() - 24 * 3600_000).toISOString(), limit: 500 } }).subscribe((page) => {
      const names = [...new Set(page.items.map((i) => i.metric))];
      this.seenMetrics.set(names);
      if (this.selected().length === 0) this.selected.set(defaultSelection(names));
    });
    this.liveSubscription = this.liveService
      .readings({ deviceId: id }, (status) => this.liveStatus.set(status))
      .pipe(takeUntilDestroyed(this.destroyRef))
      .subscribe((reading) => {
        this.live.set(reading);
        if (this.selected().length === 0) this.selected.set(defaultSelection(Object.keys(reading.metrics)));
      });
  }
}

/** Voltage and power when the device has them (what staff look at first), otherwise its first two metrics. */
export function defaultSelection(metrics: string[]): string[] {
  const preferred = ['voltage', 'power'].filter((m) => metrics.includes(m));
  return preferred.length ? preferred : metrics.slice(0, 2);
}
