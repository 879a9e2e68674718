import { ChangeDetectionStrategy, Component, inject, input, signal } from '@angular/core';
import { ApiResponse, PiengApi } from '@pieng/api-client';
import { errorMessage } from '../../shared/api-error';
import { FormArray, FormBuilder, FormGroup, ReactiveFormsModule, Validators } from '@angular/forms';
import { I18n } from '../../core/i18n.service';
import { REGISTER_FUNCTIONS, REGISTER_TYPES, RegisterRow, WORD_ORDERS } from './device-config';

type Detected = ApiResponse<'detectLayout'>['registers'][number];

/** The meter a "Detect" reads: its line and its slave id (RTU) or unit id (TCP). */
export interface DetectTarget {
  connection: Record<string, unknown>;
  slaveId?: number;
  unitId?: number;
}

export type RegisterGroup = FormGroup<{ [K in keyof RegisterRow]: import('@angular/forms').FormControl<RegisterRow[K]> }>;

/** A form row for one register of a generic map. */
export function registerGroup(fb: FormBuilder, row?: Partial<RegisterRow>): RegisterGroup {
  return fb.nonNullable.group({
    metric: [row?.metric ?? '', [Validators.required, Validators.pattern(/^[A-Za-z][A-Za-z0-9_.]{0,63}$/)]],
    function: [row?.function ?? 4],
    address: [row?.address ?? 0, [Validators.required, Validators.min(0), Validators.max(65535)]],
    type: [row?.type ?? 'uint16'],
    order: [row?.order ?? 'ABCD'],
    scale: [row?.scale ?? 1],
    offset: [row?.offset ?? 0],
    unit: [row?.unit ?? ''],
  });
}

/** Editor of a generic meter's register map: one row per metric, added and removed freely. */
@Component({
  selector: 'pm-register-map-editor',
  imports: [ReactiveFormsModule],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <fieldset>
      <legend>{{ i18n.t('form.registers') }}</legend>
      <div class="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">{{ i18n.t('common.metric') }}</th>
              <th scope="col">{{ i18n.t('form.reg.function') }}</th>
              <th scope="col">{{ i18n.t('form.reg.address') }}</th>
              <th scope="col">{{ i18n.t('form.reg.type') }}</th>
              <th scope="col">{{ i18n.t('form.reg.order') }}</th>
              <th scope="col">{{ i18n.t('form.reg.scale') }}</th>
              <th scope="col">{{ i18n.t('form.reg.offset') }}</th>
              <th scope="col">{{ i18n.t('form.reg.unit') }}</th>
              <th scope="col">
                <span class="sr-only">{{ i18n.t('detect.button') }}</span>
              </th>
              <th scope="col">
                <span class="sr-only">{{ i18n.t('form.removeRegister') }}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            @for (row of registers().controls; track row; let i = $index) {
              <tr [formGroup]="row">
                <td><input formControlName="metric" [attr.aria-label]="i18n.t('common.metric') + ' ' + (i + 1)" size="10" /></td>
                <td>
                  <select formControlName="function" [attr.aria-label]="i18n.t('form.reg.function') + ' ' + (i + 1)">
                    @for (f of functions; track f) {
                      <option [ngValue]="f">FC{{ f }}</option>
                    }
                  </select>
                </td>
                <td>
                  <input
                    type="number"
                    formControlName="address"
                    [attr.aria-label]="i18n.t('form.reg.address') + ' ' + (i + 1)"
                    min="0"
                    max="65535"
                    class="num"
                  />
                </td>
                <td>
                  <select formControlName="type" [attr.aria-label]="i18n.t('form.reg.type') + ' ' + (i + 1)">
                    @for (ty of types; track ty) {
                      <option [value]="ty">{{ ty }}</option>
                    }
                  </select>
                </td>
                <td>
                  <select formControlName="order" [attr.aria-label]="i18n.t('form.reg.order') + ' ' + (i + 1)">
                    @for (o of orders; track o) {
                      <option [value]="o">{{ o }}</option>
                    }
                  </select>
                </td>
                <td><input type="number" formControlName="scale" step="any" [attr.aria-label]="i18n.t('form.reg.scale') + ' ' + (i + 1)" class="num" /></td>
                <td><input type="number" formControlName="offset" step="any" [attr.aria-label]="i18n.t('form.reg.offset') + ' ' + (i + 1)" class="num" /></td>
                <td><input formControlName="unit" [attr.aria-label]="i18n.t('form.reg.unit') + ' ' + (i + 1)" size="4" /></td>
                <td>
                  @if (target()) {
                    <button type="button" (click)="detect(i)" [disabled]="detecting() === i" [title]="i18n.t('detect.hint')" [attr.data-testid]="'detect-' + i">
                      {{ i18n.t('detect.button') }}
                    </button>
                  }
                </td>
                <td>
                  <button type="button" class="icon danger" (click)="remove(i)" [attr.aria-label]="i18n.t('form.removeRegister') + ' ' + (i + 1)">✕</button>
                </td>
              </tr>
            }
          </tbody>
        </table>
      </div>
      @if (detected(); as d) {
        <div class="detected" data-testid="detect-result" role="status">
          <p>{{ i18n.t('detect.result', { metric: d.result.metric, words: hexWords(d.result.words) }) }}</p>
          @if (d.result.candidates.length === 0) {
            <p class="muted">{{ i18n.t('detect.none', { min: d.result.range[0], max: d.result.range[1] }) }}</p>
          }
          <ul>
            @for (c of d.result.candidates; track $index) {
              <li>
                {{ c.type }} {{ c.order }} × {{ c.scale }} = <b>{{ c.value }}</b>
                <button type="button" (click)="use(d.row, c)" [attr.data-testid]="'detect-use-' + $index">{{ i18n.t('detect.use') }}</button>
              </li>
            }
          </ul>
        </div>
      }
      @if (detectError(); as e) {
        <p class="error-text" role="alert">{{ e }}</p>
      }
      <button type="button" (click)="add()" data-testid="add-register">{{ i18n.t('form.addRegister') }}</button>
    </fieldset>
  `,
  styles: `
    fieldset {
      border: 1px solid var(--border);
      border-radius: 8px;
      padding: 0.75rem;
    }
    .num {
      width: 6.5em;
    }
    td {
      padding: 0.25rem;
    }
    .detected ul {
      margin: 0.25rem 0;
      padding-left: 1.2rem;
    }
  `,
})
export class RegisterMapEditor {
  protected readonly i18n = inject(I18n);
  private readonly fb = inject(FormBuilder);
  private readonly api = inject(PiengApi);
  readonly registers = input.required<FormArray<RegisterGroup>>();
  /** The meter to read for "Detect" (null: no button, e.g. before the connection is filled in). */
  readonly target = input<DetectTarget | null>(null);
  protected readonly detecting = signal<number | null>(null);
  protected readonly detected = signal<{ row: number; result: Detected } | null>(null);
  protected readonly detectError = signal<string | null>(null);
  protected readonly functions = REGISTER_FUNCTIONS;
  protected readonly types = REGISTER_TYPES;
  protected readonly orders = WORD_ORDERS;

  protected add(): void {
    this.registers().push(registerGroup(this.fb));
  }

  /** Reads the row's register once and lists the decodings whose value is plausible for its metric. */
  protected detect(index: number): void {
    const target = this.target();
    if (!target) return;
    const row = this.registers().at(index).getRawValue();
    this.detecting.set(index);
    this.detected.set(null);
    this.detectError.set(null);
    const register = { metric: row.metric, function: Number(row.function) as 3 | 4, address: row.address, type: row.type as never };
    this.api.detectLayout({ body: { ...target, registers: [register] } }).subscribe({
      next: (r) => {
        this.detecting.set(null);
        this.detected.set({ row: index, result: r.registers[0] });
      },
      error: (e: unknown) => {
        this.detecting.set(null);
        this.detectError.set(errorMessage(e));
      },
    });
  }

  protected use(index: number, c: { type: string; order: string; scale: number }): void {
    this.registers().at(index).patchValue({ type: c.type, order: c.order, scale: c.scale });
    this.detected.set(null);
  }

  protected hexWords(words: number[]): string {
    return words.map((w) => w.toString(16).toUpperCase().padStart(4, '0')).join(' ');
  }

  protected remove(index: number): void {
    this.registers().removeAt(index);
  }
}
