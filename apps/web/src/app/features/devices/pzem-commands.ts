import { ChangeDetectionStrategy, Component, inject, input, output, signal } from '@angular/core';
import { ApiResponse, PiengApi } from '@pieng/api-client';
import { I18n } from '../../core/i18n.service';
import { errorMessage } from '../../shared/api-error';

type Device = ApiResponse<'getDevice'>;

/**
 * PZEM commissioning on a PZEM device's page: a new Modbus address (with the one-meter-at-a-time
 * guide: 0xF8 is the address every PZEM answers) and the alarm threshold(s).
 */
@Component({
  selector: 'pm-pzem-commands',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <section class="card" aria-labelledby="pzem-title" data-testid="pzem-commands">
      <h2 id="pzem-title">{{ t('pzem.title') }}</h2>
      <ol class="guide" data-testid="pzem-guide">
        <li>{{ t('pzem.guide1') }}</li>
        <li>{{ t('pzem.guide2') }}</li>
        <li>{{ t('pzem.guide3') }}</li>
        <li>{{ t('pzem.guide4') }}</li>
      </ol>
      <p class="muted">{{ t('pzem.current', { address: currentAddress() }) }}</p>
      <div class="row">
        <label class="field"
          >{{ t('pzem.newAddress')
          }}<input type="number" min="1" max="247" [value]="newAddress()" (change)="newAddress.set(+$any($event.target).value)" data-testid="pzem-new-address"
        /></label>
        <button type="button" (click)="setAddress()" [disabled]="busy()" data-testid="pzem-set-address">{{ t('pzem.setAddress') }}</button>
      </div>
      @if (device().config['driver'] === 'pzem004t') {
        <div class="row">
          <label class="field"
            >{{ t('pzem.watts')
            }}<input type="number" min="0" max="65535" [value]="watts()" (change)="watts.set(+$any($event.target).value)" data-testid="pzem-watts"
          /></label>
          <button type="button" (click)="setThreshold()" [disabled]="busy()" data-testid="pzem-set-threshold">{{ t('pzem.setThreshold') }}</button>
        </div>
      } @else {
        <div class="row">
          <label class="field"
            >{{ t('pzem.highVolts')
            }}<input type="number" min="0" max="655.35" step="0.01" [value]="highVolts()" (change)="highVolts.set(+$any($event.target).value)"
          /></label>
          <label class="field"
            >{{ t('pzem.lowVolts')
            }}<input type="number" min="0" max="655.35" step="0.01" [value]="lowVolts()" (change)="lowVolts.set(+$any($event.target).value)"
          /></label>
          <button type="button" (click)="setThreshold()" [disabled]="busy()" data-testid="pzem-set-threshold">{{ t('pzem.setThreshold') }}</button>
        </div>
      }
      @if (message(); as m) {
        <p role="status" data-testid="pzem-message">{{ m }}</p>
      }
      @if (error(); as e) {
        <p class="error-text" role="alert" data-testid="pzem-error">{{ e }}</p>
      }
    </section>
  `,
  styles: `
    .guide {
      margin: 0 0 0.75rem;
      padding-left: 1.2rem;
    }
    .row {
      align-items: flex-end;
    }
    input[type='number'] {
      width: 7em;
    }
  `,
})
export class PzemCommands {
  private readonly api = inject(PiengApi);
  protected readonly i18n = inject(I18n);
  protected readonly t = this.i18n.t.bind(this.i18n);
  readonly device = input.required<Device>();
  /** The device changed (its address): the page loads it again. */
  readonly changed = output<void>();
  protected readonly newAddress = signal(1);
  protected readonly watts = signal(2300);
  protected readonly highVolts = signal(300);
  protected readonly lowVolts = signal(7);
  protected readonly busy = signal(false);
  protected readonly message = signal<string | null>(null);
  protected readonly error = signal<string | null>(null);

  protected currentAddress(): string {
    const id = Number(this.device().config['slaveId']);
    return id === 0xf8 ? '248 (0xF8)' : String(id);
  }

  protected setAddress(): void {
    this.run(this.api.setPzemAddress({ path: { id: this.device().id }, body: { newAddress: this.newAddress() } }), (r) => {
      this.changed.emit();
      return this.t('pzem.addressDone', { from: r.from, to: r.to });
    });
  }

  protected setThreshold(): void {
    const body = this.device().config['driver'] === 'pzem004t' ? { watts: this.watts() } : { highVolts: this.highVolts(), lowVolts: this.lowVolts() };
    this.run(this.api.setPzemAlarmThreshold({ path: { id: this.device().id }, body }), () => this.t('pzem.thresholdDone'));
  }

  private run<T>(request: import('rxjs').Observable<T>, done: (r: T) => string): void {
    this.busy.set(true);
    this.message.set(null);
    this.error.set(null);
    request.subscribe({
      next: (r) => {
        this.busy.set(false);
        this.message.set(done(r));
      },
      error: (e: unknown) => {
        this.busy.set(false);
        this.error.set(errorMessage(e) ?? this.t('error.server'));
      },
    });
  }
}
