import { ChangeDetectionStrategy, Component, DestroyRef, inject, input, output, signal } from '@angular/core';
import { ApiResponse, PiengApi } from '@pieng/api-client';
import { Subscription, timer, switchMap, takeWhile } from 'rxjs';
import { I18n } from '../../core/i18n.service';
import { errorMessage } from '../../shared/api-error';

type ScanJob = ApiResponse<'getLineScan'>;

/**
 * The Scan button of the Add device form: probes the slave ids of the line the form describes, one at
 * a time through the line's queue, and lists the ids that answered with "Add as ..." for each.
 */
@Component({
  selector: 'pm-line-scan',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <fieldset data-testid="line-scan">
      <legend>{{ t('scan.title') }}</legend>
      <div class="row">
        <label class="field"
          >{{ t('scan.from') }}<input type="number" min="1" max="247" [value]="from()" (change)="from.set(+$any($event.target).value)" data-testid="scan-from"
        /></label>
        <label class="field"
          >{{ t('scan.to') }}<input type="number" min="1" max="247" [value]="to()" (change)="to.set(+$any($event.target).value)" data-testid="scan-to"
        /></label>
        <label class="field"
          >{{ t('scan.timeoutMs') }}<input type="number" min="50" max="10000" [value]="timeoutMs()" (change)="timeoutMs.set(+$any($event.target).value)"
        /></label>
        @if (job()?.status === 'running') {
          <button type="button" (click)="cancel()" data-testid="scan-cancel">{{ t('scan.cancel') }}</button>
        } @else {
          <button type="button" (click)="start()" [disabled]="starting()" data-testid="scan-start">{{ t('scan.start') }}</button>
        }
      </div>
      <p class="muted small">{{ t('scan.hint') }}</p>
      @if (error(); as e) {
        <p class="error-text" role="alert" data-testid="scan-error">{{ e }}</p>
      }
      @if (job(); as j) {
        <p class="muted" role="status" data-testid="scan-progress">
          {{ t('scan.progress', { scanned: j.scanned, total: j.total, found: j.found.length }) }}
          @if (j.status === 'running') {
            · {{ t('scan.left', { s: seconds(j.estimatedMsLeft) }) }}
          }
          @if (j.status !== 'running') {
            · {{ t(statusKey(j.status)) }}
          }
        </p>
        <p class="muted small">{{ j.estimate }}</p>
        @if (j.error) {
          <p class="error-text">{{ j.error }}</p>
        }
        @if (j.found.length > 0) {
          <div class="table-wrap">
            <table data-testid="scan-results">
              <thead>
                <tr>
                  <th scope="col">{{ t('scan.id') }}</th>
                  <th scope="col">{{ t('scan.answer') }}</th>
                  <th scope="col">ms</th>
                  <th scope="col"></th>
                </tr>
              </thead>
              <tbody>
                @for (f of j.found; track f.id) {
                  <tr>
                    <td>{{ f.id }}</td>
                    <td>{{ f.answered === 'registers' ? t('scan.registers') : t('scan.exception', { code: f.exceptionCode ?? '?' }) }}</td>
                    <td>{{ i18n.number(f.ms, 1) }}</td>
                    <td>
                      <button type="button" (click)="add.emit(f.id)" [attr.data-testid]="'scan-add-' + f.id">{{ t('scan.addAs', { id: f.id }) }}</button>
                    </td>
                  </tr>
                }
              </tbody>
            </table>
          </div>
        }
      }
    </fieldset>
  `,
  styles: `
    fieldset {
      border: 1px solid var(--border);
      border-radius: 8px;
      padding: 0.75rem;
    }
    .row {
      align-items: flex-end;
    }
    input[type='number'] {
      width: 6em;
    }
  `,
})
export class LineScan {
  private readonly api = inject(PiengApi);
  protected readonly i18n = inject(I18n);
  protected readonly t = this.i18n.t.bind(this.i18n);
  /** The line, as the form describes it (no slave id). */
  readonly connection = input.required<Record<string, unknown>>();
  /** A found id the user wants to add: the form takes it as its slave id. */
  readonly add = output<number>();
  protected readonly from = signal(1);
  protected readonly to = signal(247);
  protected readonly timeoutMs = signal(300);
  protected readonly job = signal<ScanJob | null>(null);
  protected readonly error = signal<string | null>(null);
  protected readonly starting = signal(false);
  private polling?: Subscription;

  constructor() {
    inject(DestroyRef).onDestroy(() => this.polling?.unsubscribe());
  }

  protected start(): void {
    this.error.set(null);
    this.starting.set(true);
    const body = { connection: this.connection(), from: this.from(), to: this.to(), timeoutMs: this.timeoutMs() };
    this.api.scanLine({ body }).subscribe({
      next: ({ jobId }) => {
        this.starting.set(false);
        this.follow(jobId);
      },
      error: (e: unknown) => {
        this.starting.set(false);
        this.error.set(errorMessage(e) ?? this.t('error.server'));
      },
    });
  }

  protected cancel(): void {
    const j = this.job();
    if (j) this.api.cancelLineScan({ path: { jobId: j.jobId } }).subscribe({ next: (done) => this.job.set(done) });
  }

  protected seconds(ms: number): number {
    return Math.ceil(ms / 1000);
  }

  protected statusKey(status: string) {
    return `scan.status.${status}` as 'scan.status.done';
  }

  /** Live results: the job's state every half second until it ends. */
  private follow(jobId: string): void {
    this.polling?.unsubscribe();
    this.polling = timer(0, 500)
      .pipe(
        switchMap(() => this.api.getLineScan({ path: { jobId } })),
        takeWhile((j) => j.status === 'running', true),
      )
      .subscribe({ next: (j) => this.job.set(j), error: (e: unknown) => this.error.set(errorMessage(e) ?? this.t('error.server')) });
  }
}
