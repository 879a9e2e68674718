import { ChangeDetectionStrategy, Component, computed, effect, inject, input, signal } from '@angular/core';
import { toSignal } from '@angular/core/rxjs-interop';
import { Router } from '@angular/router';
import { ApiResponse, PiengApi } from '@pieng/api-client';
import type { ChartConfiguration } from 'chart.js';
import { BaseChartDirective } from 'ng2-charts';
import { catchError, forkJoin, of } from 'rxjs';
import { I18n } from '../../core/i18n.service';
import { ThemeService } from '../../core/theme.service';
import type { MessageKey } from '../../core/translations';
import { errorMessage } from '../../shared/api-error';
import { DownloadMenu, DownloadTarget, FileDownloads } from '../../shared/file-download';
import { SERIES_COLORS, themeColor } from '../../shared/chart-colors';
import { ENERGY_VIEWS, EnergyView, POSTOS, Posto, barLabel, calendarPeriods, changeFromPrevious, demandChart, energyBarsChart } from './energy-charts';

type Energy = ApiResponse<'getEnergy'>;
type Client = ApiResponse<'listClients'>[number];
type Demand = ApiResponse<'getDemand'>;

/**
 * Energy of a client or one of its devices: kWh bars per hour, day or month of the chosen period (stacked by
 * posto when a tariff applies) beside the previous period, the cost, the 15-minute demand with its peak and the
 * contracted demand, and where the counters reset or readings were missing. Periods are the client's calendar.
 */
@Component({
  selector: 'pm-energy-page',
  imports: [BaseChartDirective, DownloadMenu],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <div class="page-head">
      <h1>{{ t('energy.title') }}</h1>
      <div class="actions">
        <pm-download-menu [target]="downloadTarget()" />
        <span class="report">
          <label class="sr-only" for="report-month">{{ t('report.month') }}</label>
          <input
            id="report-month"
            type="month"
            [value]="reportMonth()"
            [max]="thisMonth()"
            (change)="chosenMonth.set($any($event.target).value || null)"
            data-testid="report-month"
          />
          <button type="button" [disabled]="!client() || !reportMonth() || reportBusy()" (click)="monthlyReport()" data-testid="report-pdf">
            {{ t('report.pdf') }}
          </button>
        </span>
      </div>
    </div>
    @if (reportError(); as e) {
      <p class="error-text" role="alert" data-testid="report-error">{{ e }}</p>
    }
    <form class="card row" (submit)="$event.preventDefault()" [attr.aria-label]="t('energy.title')">
      <label class="field"
        >{{ t('common.client') }}
        <select data-testid="energy-client" (change)="pick({ clientId: +$any($event.target).value, siteId: null, deviceId: null })">
          @for (c of clients(); track c.id) {
            <option [value]="c.id" [selected]="c.id === client()?.id">{{ c.name }}</option>
          }
        </select>
      </label>
      <label class="field"
        >{{ t('energy.site') }}
        <select data-testid="energy-site" (change)="pick({ siteId: $any($event.target).value === '' ? null : +$any($event.target).value, deviceId: null })">
          <option value="" [selected]="siteId() === null">{{ t('energy.allSites') }}</option>
          @for (s of sites(); track s.id) {
            <option [value]="s.id" [selected]="s.id === siteId()">{{ s.name }}</option>
          }
        </select>
      </label>
      <label class="field"
        >{{ t('common.device') }}
        <select data-testid="energy-device" (change)="pick({ deviceId: $any($event.target).value === '' ? null : +$any($event.target).value })">
          <option value="" [selected]="deviceId() === null">{{ t(siteId() === null ? 'energy.wholeClient' : 'energy.wholeSite') }}</option>
          @for (d of clientDevices(); track d.id) {
            <option [value]="d.id" [selected]="d.id === deviceId()">{{ d.name }}</option>
          }
        </select>
      </label>
      <div class="views" role="group" [attr.aria-label]="t('device.period')">
        @for (v of views; track v) {
          <button
            type="button"
            [class.primary]="v === view()"
            [attr.aria-pressed]="v === view()"
            (click)="pick({ view: v })"
            [attr.data-testid]="'energy-view-' + v"
          >
            {{ t(viewKey(v)) }}
          </button>
        }
      </div>
    </form>

    @if (error(); as e) {
      <p class="error-text" role="alert" data-testid="energy-error">{{ e }}</p>
    }
    @if (current(); as e) {
      @if (e.reason) {
        <p class="muted" data-testid="energy-reason">{{ e.reason }}</p>
      }
      <section class="card" data-testid="energy-totals">
        <div class="kpis">
          <div>
            <span>{{ t('energy.total') }}</span
            ><b class="kpi" data-testid="energy-total">{{ i18n.number(e.total.kWh, 3) }} <small>kWh</small></b>
          </div>
          @if (e.total.cost !== undefined && e.total.cost !== null) {
            <div>
              <span>{{ t('energy.cost') }}</span
              ><b class="kpi" data-testid="energy-cost">{{ money(e.total.cost) }}</b>
            </div>
          }
          <div>
            <span>{{ t(previousKey()) }}</span>
            <b class="kpi">{{ i18n.number(previous()?.total?.kWh, 3) }} <small>kWh</small></b>
            @if (change(); as c) {
              <small [class.up]="c > 0" [class.down]="c < 0" data-testid="energy-change">{{ c > 0 ? '+' : '' }}{{ i18n.number(c, 1) }} %</small>
            }
          </div>
          @if (e.total.exportKWh) {
            <div>
              <span>{{ t('energy.exported') }}</span
              ><b class="kpi">{{ i18n.number(e.total.exportKWh, 3) }} <small>kWh</small></b>
            </div>
          }
          @if (e.total.reactiveExcessKWh !== undefined) {
            <div>
              <span>{{ t('energy.reactiveExcess') }}</span>
              <b class="kpi" data-testid="energy-reactive">{{ i18n.number(e.total.reactiveExcessKWh, 3) }} <small>kWh</small></b>
              @if (e.total.reactiveExcessCost !== undefined) {
                <small>{{ money(e.total.reactiveExcessCost) }}</small>
              }
            </div>
          }
          @for (p of postosUsed(); track p) {
            <div>
              <span>{{ t(postoKey(p)) }}</span
              ><b class="kpi">{{ i18n.number(e.total.byPosto?.[p]?.kWh, 3) }} <small>kWh</small></b>
            </div>
          }
        </div>
      </section>
      <section class="card chart" [attr.aria-label]="t('energy.bars')">
        <h2>{{ t('energy.bars') }}</h2>
        @if (barsConfig(); as c) {
          <div class="canvas"><canvas baseChart [type]="'bar'" [data]="c.data" [options]="c.options" data-testid="energy-bars"></canvas></div>
        }
      </section>
      <section class="card chart" [attr.aria-label]="t('energy.demand')">
        <h2>{{ t('energy.demand') }}</h2>
        @if (demand(); as d) {
          <p>
            {{ t('energy.peak') }}: <b data-testid="energy-peak">{{ i18n.number(d.peak?.kW, 2) }} kW</b>
            @if (d.peak) {
              · {{ zoned(d.peak.at) }}
            }
          </p>
          @if (d.overrun) {
            <p class="warn-text" role="alert" data-testid="energy-overrun">{{ t('energy.overrun') }}</p>
          }
        }
        @if (demandConfig(); as c) {
          <div class="canvas"><canvas baseChart [type]="'line'" [data]="c.data" [options]="c.options" data-testid="energy-demand"></canvas></div>
        }
      </section>
      <section class="card" data-testid="energy-quality">
        <h2>{{ t('energy.quality') }}</h2>
        <p>
          {{ t('energy.resets') }}: <b>{{ e.quality.resets }}</b> · {{ t('energy.rollovers') }}: <b>{{ e.quality.rollovers }}</b> · {{ t('energy.spikes') }}:
          <b>{{ e.quality.spikes }}</b> · {{ t('energy.interpolated') }}: <b>{{ i18n.number(e.quality.interpolatedKWh, 3) }} kWh</b>
        </p>
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">{{ t('energy.interval') }}</th>
                <th scope="col">kWh</th>
                @if (e.total.cost !== undefined && e.total.cost !== null) {
                  <th scope="col">{{ t('energy.cost') }}</th>
                }
                <th scope="col">{{ t('energy.flags') }}</th>
              </tr>
            </thead>
            <tbody>
              @for (row of rows(); track row.start) {
                <tr data-testid="energy-row">
                  <td>{{ row.label }}</td>
                  <td>{{ i18n.number(row.kWh, 3) }}</td>
                  @if (e.total.cost !== undefined && e.total.cost !== null) {
                    <td>{{ money(row.cost) }}</td>
                  }
                  <td class="flags">{{ row.flags }}</td>
                </tr>
              }
            </tbody>
          </table>
        </div>
      </section>
    } @else if (!error()) {
      <p class="muted">{{ t('common.loading') }}</p>
    }
  `,
  styles: `
    /* Money and kWh figures run to 9 characters: wider columns than the Overview's counts. */
    .kpis {
      grid-template-columns: repeat(auto-fill, minmax(150px, 1fr));
    }
    .kpi {
      white-space: nowrap;
    }
    .page-head {
      display: flex;
      flex-wrap: wrap;
      gap: 0.5rem;
      align-items: center;
      justify-content: space-between;
    }
    .actions {
      display: flex;
      flex-wrap: wrap;
      gap: 0.5rem;
      align-items: center;
    }
    .report {
      display: inline-flex;
      gap: 0.25rem;
      align-items: center;
    }
    .sr-only {
      position: absolute;
      width: 1px;
      height: 1px;
      overflow: hidden;
      clip: rect(0 0 0 0);
    }
    .views {
      display: flex;
      gap: 0.25rem;
      flex-wrap: wrap;
      align-self: end;
    }
    .chart .canvas {
      position: relative;
      height: 280px;
    }
    .card + .card {
      margin-top: 1rem;
    }
    small {
      font-size: 0.75em;
      color: var(--muted);
      margin-left: 0.25rem;
    }
    small.up {
      color: var(--danger);
    }
    small.down {
      color: var(--ok);
    }
    .warn-text {
      color: var(--danger);
      font-weight: 600;
    }
    .flags {
      color: var(--muted);
    }
  `,
})
export class EnergyPage {
  private readonly api = inject(PiengApi);
  private readonly router = inject(Router);
  private readonly theme = inject(ThemeService);
  protected readonly i18n = inject(I18n);
  protected readonly t = this.i18n.t.bind(this.i18n);
  protected readonly views = ENERGY_VIEWS;

  /** Query parameters (router input binding): what to show, so a page can be bookmarked and linked from the Overview. */
  readonly clientId = input<string | undefined>();
  readonly siteId = input<number | null, string | undefined>(null, { transform: (v: string | undefined) => (v ? Number(v) : null) });
  readonly deviceId = input<number | null, string | undefined>(null, { transform: (v: string | undefined) => (v ? Number(v) : null) });
  readonly view = input<EnergyView, string | undefined>('month', {
    transform: (v: string | undefined) => ((ENERGY_VIEWS as readonly string[]).includes(v ?? '') ? (v as EnergyView) : 'month'),
  });

  protected readonly clients = toSignal(this.api.listClients(), { initialValue: [] });
  private readonly devices = toSignal(this.api.listDevices(), { initialValue: [] });
  protected readonly client = computed<Client | null>(() => {
    const wanted = Number(this.clientId());
    const device = this.devices().find((d) => d.id === this.deviceId());
    return this.clients().find((c) => c.id === (device?.clientId ?? wanted)) ?? this.clients()[0] ?? null;
  });
  protected readonly clientDevices = computed(() =>
    this.devices().filter((d) => d.clientId === this.client()?.id && (this.siteId() === null || d.siteId === this.siteId())),
  );
  private readonly allSites = toSignal(this.api.listSites(), { initialValue: [] });
  protected readonly sites = computed(() => this.allSites().filter((s) => s.clientId === this.client()?.id));
  /** A site's days run in its own time zone when it has one. */
  private readonly timeZone = computed(() => this.sites().find((s) => s.id === this.siteId())?.timezone ?? this.client()?.timezone ?? 'UTC');

  protected readonly current = signal<Energy | null>(null);
  protected readonly previous = signal<Energy | null>(null);
  protected readonly demand = signal<Demand | null>(null);
  protected readonly error = signal<string | null>(null);
  /** What the page shows (scope, period, interval), for the Download menu. */
  protected readonly downloadTarget = signal<DownloadTarget | null>(null);
  private readonly downloads = inject(FileDownloads);
  /** This month in the client's time zone (YYYY-MM), the last one a report may be asked for. */
  protected readonly thisMonth = computed(() => monthIn(new Date(), this.timeZone()));
  /** The last whole month by default: the one a bill covers. */
  protected readonly chosenMonth = signal<string | null>(null);
  protected readonly reportMonth = computed(() => this.chosenMonth() ?? monthBefore(this.thisMonth()));
  protected readonly reportBusy = signal(false);
  protected readonly reportError = signal<string | null>(null);

  protected readonly change = computed(() => changeFromPrevious(this.current()?.total.kWh, this.previous()?.total.kWh));
  protected readonly postosUsed = computed<Posto[]>(() => POSTOS.filter((p) => (this.current()?.total.byPosto?.[p]?.kWh ?? 0) > 0));
  protected readonly previousKey = computed<MessageKey>(() => `energy.previous.${this.view()}` as MessageKey);

  private readonly colors = computed(() => {
    this.theme.theme();
    return {
      grid: themeColor('--chart-grid', 'rgba(0,0,0,.1)'),
      text: themeColor('--muted', '#666'),
      danger: themeColor('--danger', '#c62828'),
      muted: themeColor('--muted', '#888'),
    };
  });

  protected readonly rows = computed(() => {
    const e = this.current();
    if (!e) return [];
    const interval = e.interval as 'hour' | 'day' | 'month';
    return e.intervals.map((i) => ({
      start: i.start,
      label: barLabel(i.start, interval, this.i18n.locale(), this.timeZone()),
      kWh: i.kWh,
      cost: i.cost ?? null,
      flags: this.flagsOf(i.quality),
    }));
  });

  protected readonly barsConfig = computed<ChartConfiguration<'bar'> | null>(() => {
    const e = this.current();
    if (!e || e.intervals.length === 0) return null;
    const c = this.colors();
    return energyBarsChart(
      e.intervals,
      this.previous()?.intervals ?? [],
      this.rows().map((r) => r.label),
      {
        posto: { foraPonta: SERIES_COLORS[2], intermediario: SERIES_COLORS[6], ponta: SERIES_COLORS[1] },
        total: SERIES_COLORS[0],
        previous: `${c.muted}66`,
        grid: c.grid,
        text: c.text,
      },
      {
        posto: { foraPonta: this.t('posto.foraPonta'), intermediario: this.t('posto.intermediario'), ponta: this.t('posto.ponta') },
        total: 'kWh',
        previous: this.t(this.previousKey()),
        kWh: 'kWh',
      },
    );
  });

  protected readonly demandConfig = computed<ChartConfiguration<'line'> | null>(() => {
    const d = this.demand();
    if (!d || d.points.length === 0) return null;
    const c = this.colors();
    const contracted = [
      ...(d.contractedKW?.ponta ? [{ label: this.t('energy.contracted.ponta'), kW: d.contractedKW.ponta }] : []),
      ...(d.contractedKW?.foraPonta ? [{ label: this.t('energy.contracted.foraPonta'), kW: d.contractedKW.foraPonta }] : []),
    ];
    return demandChart(
      d.points,
      d.peak ?? null,
      contracted,
      { line: SERIES_COLORS[0], peak: c.danger, contracted: c.danger, grid: c.grid, text: c.text },
      { demand: this.t('energy.demand'), peak: this.t('energy.peak') },
      this.i18n.locale(),
      this.timeZone(),
    );
  });

  constructor() {
    effect(() => {
      const client = this.client();
      if (!client) return;
      this.load(client.id, this.siteId(), this.deviceId(), this.view(), this.timeZone());
    });
  }

  protected pick(change: { clientId?: number; siteId?: number | null; deviceId?: number | null; view?: EnergyView }): void {
    const keep = <T>(changed: T | undefined, current: T) => (changed === undefined ? current : changed);
    const next = {
      clientId: change.clientId ?? this.client()?.id,
      siteId: keep(change.siteId, this.siteId()),
      deviceId: keep(change.deviceId, this.deviceId()),
      view: change.view ?? this.view(),
    };
    void this.router.navigate([], {
      queryParams: { clientId: next.clientId, siteId: next.siteId ?? undefined, deviceId: next.deviceId ?? undefined, view: next.view },
    });
  }

  /** The client's monthly report (PDF) of the chosen month, in the console's language. */
  protected async monthlyReport(): Promise<void> {
    const client = this.client();
    if (!client) return;
    this.reportBusy.set(true);
    this.reportError.set(null);
    try {
      await this.downloads.save('getMonthlyReport', {
        clientId: client.id,
        month: this.reportMonth(),
        lang: this.i18n.language() === 'pt-BR' ? 'pt-BR' : 'en',
      });
    } catch (e) {
      this.reportError.set(errorMessage(e) ?? this.t('error.server'));
    } finally {
      this.reportBusy.set(false);
    }
  }

  protected viewKey(view: EnergyView): MessageKey {
    return `energy.view.${view}` as MessageKey;
  }

  protected postoKey(posto: Posto): MessageKey {
    return `posto.${posto}` as MessageKey;
  }

  /** A time as the plant's clock shows it (the client's time zone), not the browser's. */
  protected zoned(iso: string): string {
    return new Intl.DateTimeFormat(this.i18n.locale(), { dateStyle: 'short', timeStyle: 'short', timeZone: this.timeZone() }).format(new Date(iso));
  }

  protected money(value: number | null | undefined): string {
    if (value === null || value === undefined) return '—';
    return new Intl.NumberFormat(this.i18n.locale(), { style: 'currency', currency: 'BRL' }).format(value);
  }

  private flagsOf(quality: { resets?: number; rollovers?: number; spikes?: number; interpolatedKWh?: number } | null | undefined): string {
    if (!quality) return '';
    const parts: string[] = [];
    if (quality.resets) parts.push(`${this.t('energy.resets')} ${quality.resets}`);
    if (quality.rollovers) parts.push(`${this.t('energy.rollovers')} ${quality.rollovers}`);
    if (quality.spikes) parts.push(`${this.t('energy.spikes')} ${quality.spikes}`);
    if (quality.interpolatedKWh) parts.push(`${this.t('energy.interpolated')} ${this.i18n.number(quality.interpolatedKWh, 3)} kWh`);
    return parts.join(' · ');
  }

  private load(clientId: number, siteId: number | null, deviceId: number | null, view: EnergyView, timeZone: string): void {
    const { current, previous } = calendarPeriods(view, new Date(), timeZone);
    const scope = deviceId !== null ? { deviceId } : siteId !== null ? { siteId } : { clientId };
    // The API's `to` is inclusive: the period ends just before the next one starts.
    const until = (p: typeof current) => new Date(p.to.getTime() - 1).toISOString();
    const energy = (p: typeof current) => this.api.getEnergy({ query: { ...scope, from: p.from.toISOString(), to: until(p), interval: p.interval } });
    this.error.set(null);
    this.downloadTarget.set({
      operation: 'exportEnergy',
      query: { ...scope, from: current.from.toISOString(), to: until(current), interval: current.interval },
    });
    forkJoin({
      current: energy(current),
      previous: energy(previous).pipe(catchError(() => of(null))),
      demand: this.api.getDemand({ query: { ...scope, from: current.from.toISOString(), to: until(current) } }).pipe(catchError(() => of(null))),
    }).subscribe({
      next: (r) => {
        this.current.set(r.current);
        this.previous.set(r.previous);
        this.demand.set(r.demand);
      },
      error: (e: unknown) => {
        this.current.set(null);
        this.error.set(errorMessage(e) ?? this.t('error.server'));
      },
    });
  }
}

/** The month (YYYY-MM) that holds an instant in a time zone. */
function monthIn(at: Date, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit' }).formatToParts(at);
  return `${parts.find((p) => p.type === 'year')?.value}-${parts.find((p) => p.type === 'month')?.value}`;
}

/** The month before a YYYY-MM month. */
function monthBefore(month: string): string {
  const [y, m] = month.split('-').map(Number);
  return m === 1 ? `${y - 1}-12` : `${y}-${String(m - 1).padStart(2, '0')}`;
}
