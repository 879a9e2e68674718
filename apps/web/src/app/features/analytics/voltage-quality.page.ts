import { ChangeDetectionStrategy, Component, effect, inject, signal } from '@angular/core';
import { toSignal } from '@angular/core/rxjs-interop';
import { ApiResponse, PiengApi } from '@pieng/api-client';
import { I18n } from '../../core/i18n.service';
import { errorMessage } from '../../shared/api-error';
import { AnalyticsNav, dayEndIso, dayStartIso, localDay } from './analytics-nav';

/** PRODIST Módulo 8 voltage conformity: a weekly card (DRP, DRC against 3 % and 0.5 %), the readings by band and those outside the adequate range. */
@Component({
  selector: 'pm-voltage-quality-page',
  imports: [AnalyticsNav],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <h1>{{ t('analytics.title') }}</h1>
    <pm-analytics-nav />
    <form class="card row" (submit)="$event.preventDefault(); load()">
      <label class="field"
        >{{ t('common.device') }}
        <select (change)="deviceId.set(+$any($event.target).value)" data-testid="voltage-device">
          @for (d of devices(); track d.id) {
            <option [value]="d.id" [selected]="d.id === deviceId()">{{ d.name }}</option>
          }
        </select>
      </label>
      <label class="field"
        >{{ t('analytics.voltage.nominal') }}
        <select (change)="nominal.set(+$any($event.target).value)">
          @for (n of nominals; track n) {
            <option [value]="n" [selected]="n === nominal()">{{ n }} V</option>
          }
        </select>
      </label>
      <label class="field">{{ t('analytics.from') }}<input type="date" [value]="from()" (change)="from.set($any($event.target).value)" /></label>
      <label class="field">{{ t('analytics.to') }}<input type="date" [value]="to()" (change)="to.set($any($event.target).value)" /></label>
      <button class="primary" type="submit">{{ t('analytics.run') }}</button>
    </form>
    @if (error(); as e) {
      <p class="error-text" role="alert">{{ e }}</p>
    }
    @if (result(); as r) {
      <p class="muted">
        {{ r.system }}: {{ t('analytics.voltage.adequate') }} {{ r.adequate[0] }}–{{ r.adequate[1] }} V · {{ t('analytics.voltage.precarious') }}
        {{ r.precarious[0] }}–{{ r.precarious[1] }} V · {{ r.reference }}
      </p>
      <div class="weeks">
        @for (w of r.weeks; track w.start) {
          <section class="card" data-testid="voltage-week">
            <h2>{{ t('analytics.voltage.week', { start: i18n.dateTime(w.start) }) }}</h2>
            <p class="muted">{{ t('analytics.voltage.readings', { n: w.readings }) }}</p>
            <div class="kpis">
              <div>
                <span>DRP</span><b class="kpi" [class.error-text]="!w.drpPasses">{{ i18n.number(w.drp, 2) }} %</b
                ><small>≤ {{ r.drpm }} % · {{ t(w.drpPasses ? 'analytics.voltage.pass' : 'analytics.voltage.fail') }}</small>
              </div>
              <div>
                <span>DRC</span><b class="kpi" [class.error-text]="!w.drcPasses">{{ i18n.number(w.drc, 2) }} %</b
                ><small>≤ {{ r.drcm }} % · {{ t(w.drcPasses ? 'analytics.voltage.pass' : 'analytics.voltage.fail') }}</small>
              </div>
            </div>
          </section>
        }
      </div>
      <section class="card">
        <div class="kpis">
          <div>
            <span>{{ t('analytics.voltage.adequate') }}</span
            ><b class="kpi">{{ r.totals.adequate }}</b>
          </div>
          <div>
            <span>{{ t('analytics.voltage.precarious') }}</span
            ><b class="kpi">{{ r.totals.precarious }}</b>
          </div>
          <div>
            <span>{{ t('analytics.voltage.critical') }}</span
            ><b class="kpi">{{ r.totals.critical }}</b>
          </div>
        </div>
        @if (r.outside.length) {
          <h2>{{ t('analytics.voltage.outside') }}</h2>
          <div class="table-wrap">
            <table>
              <tbody>
                @for (o of r.outside.slice(0, 200); track o.start + o.phase) {
                  <tr>
                    <td>{{ i18n.dateTime(o.start) }}</td>
                    <td>{{ o.phase }}</td>
                    <td>{{ i18n.number(o.voltage, 1) }} V</td>
                    <td>{{ t(o.band === 'critical' ? 'analytics.voltage.critical' : 'analytics.voltage.precarious') }}</td>
                  </tr>
                }
              </tbody>
            </table>
          </div>
        }
      </section>
    }
  `,
  styles: `
    .weeks {
      display: grid;
      gap: 1rem;
      grid-template-columns: repeat(auto-fit, minmax(260px, 1fr));
    }
    .table-wrap {
      overflow-x: auto;
    }
  `,
})
export class VoltageQualityPage {
  private readonly api = inject(PiengApi);
  protected readonly i18n = inject(I18n);
  protected readonly t = this.i18n.t.bind(this.i18n);
  protected readonly nominals = [127, 220, 380];
  protected readonly devices = toSignal(this.api.listDevices(), { initialValue: [] });
  protected readonly deviceId = signal<number | null>(null);
  protected readonly nominal = signal(220);
  protected readonly from = signal(localDay(7));
  protected readonly to = signal(localDay(1));
  protected readonly result = signal<ApiResponse<'getVoltageQuality'> | null>(null);
  protected readonly error = signal<string | null>(null);

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
    this.api.getVoltageQuality({ query: { deviceId, nominal: this.nominal(), from: dayStartIso(this.from()), to: dayEndIso(this.to()) } }).subscribe({
      next: (r) => this.result.set(r),
      error: (e: unknown) => {
        this.result.set(null);
        this.error.set(errorMessage(e) ?? this.t('error.server'));
      },
    });
  }
}
