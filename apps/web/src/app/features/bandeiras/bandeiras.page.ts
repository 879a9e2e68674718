import { DOCUMENT } from '@angular/common';
import { ChangeDetectionStrategy, Component, inject, signal } from '@angular/core';
import { FormBuilder, FormControl, FormGroup, ReactiveFormsModule } from '@angular/forms';
import { ApiResponse, PiengApi } from '@pieng/api-client';
import { AuthService } from '../../core/auth.service';
import { I18n } from '../../core/i18n.service';
import type { MessageKey } from '../../core/translations';
import { formError } from '../../shared/api-error';

type Bandeira = ApiResponse<'listBandeiras'>[number];
type Flag = Bandeira['flag'];
const FLAGS: readonly Flag[] = ['verde', 'amarela', 'vermelha1', 'vermelha2', 'escassez'];
type MonthForm = FormGroup<{ flag: FormControl<Flag>; adderPer100kWh: FormControl<number | null> }>;

/**
 * The bandeiras tarifárias of a year, month by month: ANEEL announces one a month for the whole country, so platform
 * staff keep them for every client. A month left unset counts as verde.
 */
@Component({
  selector: 'pm-bandeiras-page',
  imports: [ReactiveFormsModule],
  changeDetection: ChangeDetectionStrategy.OnPush,
  templateUrl: './bandeiras.page.html',
  styles: `
    td.actions {
      white-space: nowrap;
    }
    td.actions button {
      margin: 0 0.3rem 0.3rem 0;
    }
    input[type='number'] {
      width: 7rem;
    }
    .year {
      display: flex;
      gap: 0.4rem;
      align-items: flex-end;
    }
    .year input {
      width: 6rem;
    }
    .flag {
      display: inline-block;
      width: 0.8rem;
      height: 0.8rem;
      border-radius: 50%;
      vertical-align: -0.1rem;
      margin-right: 0.35rem;
      border: 1px solid var(--border);
    }
    .flag.verde {
      background: var(--ok);
    }
    .flag.amarela {
      background: var(--warn);
    }
    .flag.vermelha1 {
      background: var(--danger);
      opacity: 0.6;
    }
    .flag.vermelha2 {
      background: var(--danger);
    }
    .flag.escassez {
      background: var(--text);
    }
  `,
})
export class BandeirasPage {
  private readonly api = inject(PiengApi);
  private readonly fb = inject(FormBuilder).nonNullable;
  private readonly window = inject(DOCUMENT).defaultView;
  protected readonly auth = inject(AuthService);
  protected readonly i18n = inject(I18n);
  protected readonly t = this.i18n.t.bind(this.i18n);
  protected readonly flags = FLAGS;

  protected readonly year = signal(new Date().getFullYear());
  protected readonly months = signal<Bandeira[]>([]);
  /** One small form per month, in the order of `months`. */
  protected readonly forms = this.fb.array<MonthForm>([]);
  /** The month whose save or clear failed, and why. */
  protected readonly error = signal<{ month: string; message: string; fields: Record<string, string> } | null>(null);
  protected readonly saved = signal<string | null>(null);

  constructor() {
    this.load();
  }

  protected flagName(flag: Flag): string {
    return this.t(`bandeira.${flag}` as MessageKey);
  }

  protected monthName(month: string): string {
    const [y, m] = month.split('-').map(Number);
    return new Intl.DateTimeFormat(this.i18n.locale(), { month: 'long', timeZone: 'UTC' }).format(new Date(Date.UTC(y, m - 1, 1)));
  }

  protected fieldError(month: string, field: string): string | null {
    const e = this.error();
    return e?.month === month ? (e.fields[field] ?? null) : null;
  }

  protected setYear(value: number | string): void {
    const year = Number(value);
    if (!Number.isInteger(year) || year < 2000 || year > 2100) return;
    this.year.set(year);
    this.load();
  }

  protected save(index: number): void {
    const month = this.months()[index]?.month;
    if (!month) return;
    const v = this.forms.at(index).getRawValue();
    this.api.putBandeira({ path: { month }, body: { flag: v.flag, adderPer100kWh: v.adderPer100kWh as number } }).subscribe({
      next: () => this.done(month),
      error: (e: unknown) => this.fail(month, e),
    });
  }

  protected clear(index: number): void {
    const month = this.months()[index]?.month;
    if (!month || !this.window?.confirm(this.t('bandeiras.confirmClear', { month: `${this.monthName(month)} ${this.year()}` }))) return;
    this.api.deleteBandeira({ path: { month } }).subscribe({ next: () => this.done(month), error: (e: unknown) => this.fail(month, e) });
  }

  private done(month: string): void {
    this.error.set(null);
    this.saved.set(this.t('bandeiras.saved', { month: `${this.monthName(month)} ${month.slice(0, 4)}` }));
    this.load();
  }

  private fail(month: string, e: unknown): void {
    const problem = formError(e);
    this.saved.set(null);
    this.error.set(problem ? { month, ...problem } : null);
  }

  private monthForm(b: Bandeira): MonthForm {
    return this.fb.group({ flag: [b.flag], adderPer100kWh: [b.adderPer100kWh as number | null] });
  }

  private load(): void {
    const year = this.year();
    this.api.listBandeiras({ query: { from: `${year}-01`, to: `${year}-12` } }).subscribe((months) => {
      this.forms.clear();
      for (const b of months) this.forms.push(this.monthForm(b));
      this.months.set(months);
    });
  }
}
