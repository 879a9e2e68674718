import { ChangeDetectionStrategy, Component, computed, effect, inject, signal, untracked } from '@angular/core';
import { toSignal } from '@angular/core/rxjs-interop';
import { ApiResponse, PiengApi } from '@pieng/api-client';
import { METRICS, metricUnit } from '@pieng/shared';
import type { ChartConfiguration, Plugin } from 'chart.js';
import { BaseChartDirective } from 'ng2-charts';
import { forkJoin } from 'rxjs';
import { I18n } from '../../core/i18n.service';
import { ThemeService } from '../../core/theme.service';
import type { MessageKey } from '../../core/translations';
import { errorMessage, formError } from '../../shared/api-error';
import { themeColor } from '../../shared/chart-colors';
import { DownloadMenu, DownloadTarget } from '../../shared/file-download';
import { tickFormat } from '../devices/series-chart';
import { PERIODS, Period, periodRange } from '../../shared/period';
import { AnalyticsNav } from './analytics-nav';
import { HistogramData, histogram, histogramChart, limitLinesPlugin, pairByTimestamp, regressionChart } from './analytics-charts';

/** Summary statistics, process capability against LSL/USL with a histogram, and a linear regression of two metrics. */
@Component({
  selector: 'pm-analytics-page',
  imports: [BaseChartDirective, AnalyticsNav, DownloadMenu],
  changeDetection: ChangeDetectionStrategy.OnPush,
  templateUrl: './analytics.page.html',
  styles: `
    .two {
      display: grid;
      gap: 1rem;
      grid-template-columns: repeat(auto-fit, minmax(320px, 1fr));
    }
    input[type='number'] {
      width: 8em;
    }
    .capability {
      margin-top: 1.25rem;
    }
  `,
})
export class AnalyticsPage {
  private readonly api = inject(PiengApi);
  private readonly theme = inject(ThemeService);
  protected readonly i18n = inject(I18n);
  protected readonly t = this.i18n.t.bind(this.i18n);
  protected readonly periods = PERIODS.filter((p) => p !== 'custom');
  /** The metrics the chosen device has reported (GET /api/alarms/metrics), in the catalogue's order; all of them until it is known or when it has none yet. */
  private readonly reported = signal<string[]>([]);
  protected readonly metricNames = computed(() => (this.reported().length ? this.reported() : Object.keys(METRICS)));

  protected readonly devices = toSignal(this.api.listDevices(), { initialValue: [] });
  protected readonly deviceId = signal<number | null>(null);
  protected readonly metric = signal('voltage');
  protected readonly period = signal<Period>('today');
  protected readonly lsl = signal<number | null>(null);
  protected readonly usl = signal<number | null>(null);
  protected readonly x = signal('time');
  protected readonly y = signal('power');

  protected readonly summary = signal<ApiResponse<'getSummary'> | null>(null);
  /** The raw values behind the statistics last computed (the metric, and x and y of the regression), for the Download menu. */
  protected readonly downloadTarget = signal<DownloadTarget | null>(null);
  private readonly values = signal<number[]>([]);
  protected readonly regression = signal<ApiResponse<'getLinearRegression'> | null>(null);
  private readonly pairs = signal<{ x: number; y: number }[]>([]);

  private readonly colors = computed(() => {
    this.theme.theme();
    return {
      grid: themeColor('--chart-grid', 'rgba(0,0,0,.1)'),
      text: themeColor('--muted', '#666'),
      danger: themeColor('--danger', '#c62828'),
      ok: themeColor('--ok', '#1a7f37'),
    };
  });

  protected readonly histogramConfig = computed<{ config: ChartConfiguration<'bar', HistogramData>; plugins: Plugin<'bar'>[] } | null>(() => {
    const values = this.values();
    const s = this.summary()?.sixSigma;
    if (values.length === 0 || !s) return null;
    const h = histogram(values);
    const c = this.colors();
    const lines = [
      ...(s.lsl !== null ? [{ value: s.lsl, label: 'LSL', color: c.danger }] : []),
      ...(s.usl !== null ? [{ value: s.usl, label: 'USL', color: c.danger }] : []),
      ...(s.mean !== null ? [{ value: s.mean, label: 'μ', color: c.ok }] : []),
    ];
    const limits = [s.lsl, s.usl].filter((v): v is number => v !== null);
    return {
      config: histogramChart(h, limits, (n) => this.i18n.number(n, 2), c.grid, c.text, this.t('analytics.count')),
      plugins: [limitLinesPlugin(() => lines)],
    };
  });

  protected readonly regressionConfig = computed<ChartConfiguration<'scatter'> | null>(() => {
    const fit = this.regression();
    const pairs = this.pairs();
    if (!fit || pairs.length === 0) return null;
    const c = this.colors();
    const isTime = this.x() === 'time';
    const xs = pairs.map((p) => p.x);
    const timeFormat = new Intl.DateTimeFormat(this.i18n.locale(), tickFormat((Math.max(...xs) - Math.min(...xs)) * 1000));
    return regressionChart(
      pairs,
      fit,
      {
        points: this.t('analytics.readings'),
        line: this.t('analytics.fitted'),
        x: isTime ? this.t('analytics.time') : this.labelWithUnit(this.x()),
        y: this.labelWithUnit(this.y()),
      },
      c.grid,
      c.text,
      // x is in seconds when it is time (the API's slope is per second)
      isTime ? (seconds) => timeFormat.format(new Date(seconds * 1000)) : undefined,
    );
  });

  constructor() {
    effect(() => {
      const devices = this.devices();
      if (devices.length && this.deviceId() === null) this.deviceId.set(devices[0].id);
    });
    // The device's own metrics: a single-phase meter is not offered L1-L3 (which would count 0 values).
    effect(() => {
      const deviceId = this.deviceId();
      if (deviceId === null) return;
      this.api.listAlarmMetrics({ query: { deviceId } }).subscribe((list) => {
        // An answer for a device the user has already left is not this device's list.
        if (this.deviceId() !== deviceId) return;
        const catalogue = Object.keys(METRICS);
        const rank = (m: string) => (catalogue.includes(m) ? catalogue.indexOf(m) : catalogue.length);
        const names = list
          .filter((m) => m.reported)
          .map((m) => m.metric)
          .sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
        this.reported.set(names);
        if (!names.length) return;
        const pick = (current: string, preferred: string[]) => (names.includes(current) ? current : (preferred.find((p) => names.includes(p)) ?? names[0]));
        this.metric.set(pick(this.metric(), ['voltage', 'power']));
        this.y.set(pick(this.y(), ['power', 'voltage']));
        if (this.x() !== 'time') this.x.set(pick(this.x(), ['voltage']));
      });
    });
    // First look without limits as soon as a device is known; afterwards the user presses Compute
    // (once only: a refused query clears the figures, and must not start another on its own).
    let looked = false;
    effect(() => {
      if (this.deviceId() === null || looked) return;
      looked = true;
      untracked(() => this.compute());
    });
  }

  protected label(metric: string): string {
    return (METRICS as Record<string, { label: string } | undefined>)[metric]?.label ?? metric;
  }

  /** Label with the canonical unit, for chart axes. */
  protected labelWithUnit(metric: string): string {
    const unit = metricUnit(metric);
    return unit ? `${this.label(metric)} (${unit})` : this.label(metric);
  }

  protected unit(metric: string): string {
    return metricUnit(metric) ?? '';
  }

  protected periodKey(period: Period): MessageKey {
    return `period.${period}` as MessageKey;
  }

  /** The summary's refusal (a field's beside it, the rest at the top) and the regression's. */
  protected readonly summaryError = signal<{ message: string; fields: Record<string, string> } | null>(null);
  protected readonly fitError = signal<string | null>(null);
  protected fieldError(field: string): string | null {
    return this.summaryError()?.fields[field] ?? null;
  }
  /** Messages not shown beside a field, once each. */
  protected readonly errorMessages = computed(() => {
    const out = new Set<string>();
    const s = this.summaryError();
    if (s && s.message && Object.keys(s.fields).length === 0) out.add(s.message);
    const f = this.fitError();
    if (f) out.add(f);
    return [...out];
  });

  protected optionalNumber(value: string): number | null {
    return value === '' ? null : Number(value);
  }

  protected compute(): void {
    const deviceId = this.deviceId();
    if (deviceId === null) return;
    const range = periodRange(this.period(), new Date());
    const from = range.from.toISOString();
    const to = range.to.toISOString();
    const metric = this.metric();
    const shown = [...new Set([metric, this.y(), ...(this.x() === 'time' ? [] : [this.x()])])];
    this.downloadTarget.set({ operation: 'exportReadings', query: { deviceId, metrics: shown.join(','), from, to, resolution: 'raw' } });
    this.summaryError.set(null);
    this.fitError.set(null);
    forkJoin({
      summary: this.api.getSummary({ query: { deviceId, metric, from, to, lsl: this.lsl() ?? undefined, usl: this.usl() ?? undefined } }),
      raw: this.api.listMeasurements({ query: { deviceId, metric, from, to, limit: 10000 } }),
    }).subscribe({
      next: ({ summary, raw }) => {
        this.summary.set(summary);
        this.values.set(raw.items.map((i) => i.value));
      },
      // A refused query clears the old figures: they belonged to another question.
      error: (e: unknown) => {
        this.summary.set(null);
        this.values.set([]);
        this.summaryError.set(formError(e) ?? { message: errorMessage(e) ?? '', fields: {} });
      },
    });
    const x = this.x();
    const y = this.y();
    forkJoin({
      fit: this.api.getLinearRegression({ query: { deviceId, x, y, from, to } }),
      ys: this.api.listMeasurements({ query: { deviceId, metric: y, from, to, limit: 10000 } }),
      xs:
        x === 'time'
          ? this.api.listMeasurements({ query: { deviceId, metric: y, from, to, limit: 1 } })
          : this.api.listMeasurements({ query: { deviceId, metric: x, from, to, limit: 10000 } }),
    }).subscribe({
      next: ({ fit, xs, ys }) => {
        this.regression.set(fit);
        this.pairs.set(x === 'time' ? ys.items.map((p) => ({ x: new Date(p.ts).getTime() / 1000, y: p.value })) : pairByTimestamp(xs.items, ys.items));
      },
      error: (e: unknown) => {
        this.regression.set(null);
        this.pairs.set([]);
        this.fitError.set(errorMessage(e));
      },
    });
  }
}
