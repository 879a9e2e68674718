import { ChangeDetectionStrategy, Component, inject, signal } from '@angular/core';
import { AbstractControl, FormBuilder, ReactiveFormsModule, ValidationErrors, Validators } from '@angular/forms';
import { PiengApi } from '@pieng/api-client';
import { AuthService } from '../../core/auth.service';
import { I18n } from '../../core/i18n.service';
import { formError } from '../../shared/api-error';

/** The API's minimum (apps/api auth dto); the server checks it again and its message is shown if it differs. */
const MIN_PASSWORD_LENGTH = 10;

function sameNewPassword(group: AbstractControl): ValidationErrors | null {
  const value = group.value as { newPassword: string; repeat: string };
  return value.newPassword === value.repeat ? null : { mismatch: true };
}

/** The signed-in user's account: who they are, and a password change (required after a generated first password). */
@Component({
  selector: 'pm-account-page',
  imports: [ReactiveFormsModule],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <h1>{{ t('account.title') }}</h1>
    @if (auth.user(); as user) {
      <p class="muted">{{ user.email }} · {{ user.role }}</p>
    }
    <form class="card" [formGroup]="form" (ngSubmit)="submit()" aria-labelledby="password-title">
      <h2 id="password-title">{{ t('account.changePassword') }}</h2>
      <div class="row">
        <label class="field"
          >{{ t('account.current') }}<input type="password" formControlName="currentPassword" autocomplete="current-password" required
        /></label>
        <label class="field"
          >{{ t('account.new') }}<input type="password" formControlName="newPassword" autocomplete="new-password" required [attr.minlength]="minLength"
        /></label>
        <label class="field">{{ t('account.repeat') }}<input type="password" formControlName="repeat" autocomplete="new-password" required /></label>
        <button class="primary" type="submit" [disabled]="busy()">{{ t('common.save') }}</button>
      </div>
      <p class="muted">{{ t('account.rule', { n: minLength }) }}</p>
      @if (form.touched && form.hasError('mismatch')) {
        <p class="error-text" role="alert">{{ t('account.mismatch') }}</p>
      }
      @if (error(); as e) {
        <p class="error-text" role="alert">{{ e }}</p>
      }
      @if (done()) {
        <p role="status" class="ok">{{ t('account.changed') }}</p>
      }
    </form>
  `,
  styles: `
    .ok {
      color: var(--ok);
    }
  `,
})
export class AccountPage {
  private readonly api = inject(PiengApi);
  protected readonly auth = inject(AuthService);
  protected readonly i18n = inject(I18n);
  protected readonly t = this.i18n.t.bind(this.i18n);
  protected readonly minLength = MIN_PASSWORD_LENGTH;
  protected readonly busy = signal(false);
  protected readonly done = signal(false);
  protected readonly error = signal<string | null>(null);
  protected readonly form = inject(FormBuilder).nonNullable.group(
    {
      currentPassword: ['', Validators.required],
      newPassword: ['', [Validators.required, Validators.minLength(MIN_PASSWORD_LENGTH)]],
      repeat: ['', Validators.required],
    },
    { validators: sameNewPassword },
  );

  protected submit(): void {
    if (this.form.invalid) {
      this.form.markAllAsTouched();
      return;
    }
    const { currentPassword, newPassword } = this.form.getRawValue();
    this.busy.set(true);
    this.error.set(null);
    this.api.changePassword({ body: { currentPassword, newPassword } }).subscribe({
      next: () => {
        this.busy.set(false);
        this.done.set(true);
        this.form.reset();
        const user = this.auth.user();
        if (user) this.auth.user.set({ ...user, mustChangePassword: false });
      },
      error: (e: unknown) => {
        this.busy.set(false);
        this.error.set(formError(e)?.message ?? null);
      },
    });
  }
}
