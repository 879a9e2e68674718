import { HttpErrorResponse } from '@angular/common/http';
import { ChangeDetectionStrategy, Component, inject, input, signal } from '@angular/core';
import { FormBuilder, ReactiveFormsModule, Validators } from '@angular/forms';
import { Router } from '@angular/router';
import { AuthService } from '../../core/auth.service';
import { I18n, LANGUAGES, Language } from '../../core/i18n.service';
import { ThemeService } from '../../core/theme.service';
import type { MessageKey } from '../../core/translations';

@Component({
  selector: 'pm-login-page',
  imports: [ReactiveFormsModule],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <div class="login">
      <form class="card" [formGroup]="form" (ngSubmit)="submit()" aria-labelledby="login-title">
        <h1 id="login-title">{{ t('app.name') }}</h1>
        <h2>{{ t('login.title') }}</h2>
        @if (expired()) {
          <p class="muted">{{ t('login.expired') }}</p>
        }
        <label class="field"
          >{{ t('login.email') }}
          <input type="email" formControlName="email" autocomplete="username" required name="email" />
        </label>
        <label class="field"
          >{{ t('login.password') }}
          <input type="password" formControlName="password" autocomplete="current-password" required name="password" />
        </label>
        @if (error(); as e) {
          <p class="error-text" role="alert" data-testid="login-error">{{ t(e.key, e.params) }}</p>
        }
        <button class="primary" type="submit" [disabled]="busy()">{{ t('login.submit') }}</button>
        <div class="row prefs">
          <label class="field"
            >{{ t('shell.language') }}
            <select [value]="i18n.language()" (change)="setLanguage($any($event.target).value)">
              @for (l of languages; track l) {
                <option [value]="l" [selected]="l === i18n.language()">{{ l === 'en' ? 'English' : 'Português (BR)' }}</option>
              }
            </select>
          </label>
          <button type="button" (click)="theme.toggle()">{{ theme.theme() === 'dark' ? t('shell.theme.light') : t('shell.theme.dark') }}</button>
        </div>
      </form>
    </div>
  `,
  styles: `
    .login {
      display: grid;
      place-items: center;
      min-height: 80vh;
    }
    form {
      width: min(380px, 100%);
      display: flex;
      flex-direction: column;
      gap: 0.8rem;
    }
    h1 {
      color: var(--accent);
      margin: 0;
    }
    h2 {
      margin: 0;
    }
    .prefs {
      justify-content: space-between;
    }
  `,
})
export class LoginPage {
  protected readonly i18n = inject(I18n);
  protected readonly theme = inject(ThemeService);
  private readonly auth = inject(AuthService);
  private readonly router = inject(Router);
  protected readonly t = this.i18n.t.bind(this.i18n);
  protected readonly languages = LANGUAGES;
  /** Bound from the query string (`?returnUrl=…&expired=1`). */
  readonly returnUrl = input<string>();
  readonly expired = input<string>();
  protected readonly busy = signal(false);
  protected readonly error = signal<{ key: MessageKey; params?: Record<string, number> } | null>(null);
  protected readonly form = inject(FormBuilder).nonNullable.group({
    email: ['', [Validators.required, Validators.email]],
    password: ['', Validators.required],
  });

  protected setLanguage(value: string): void {
    this.i18n.setLanguage(value as Language);
  }

  protected submit(): void {
    if (this.form.invalid) {
      this.form.markAllAsTouched();
      return;
    }
    this.busy.set(true);
    this.error.set(null);
    const { email, password } = this.form.getRawValue();
    this.auth.login(email, password).subscribe({
      next: () => {
        this.busy.set(false);
        const target = this.returnUrl();
        // Only same-site paths: a crafted link must not send the user elsewhere after login.
        void this.router.navigateByUrl(target?.startsWith('/') && !target.startsWith('//') && !target.startsWith('/login') ? target : '/overview');
      },
      error: (e: unknown) => {
        this.busy.set(false);
        if (!(e instanceof HttpErrorResponse)) return;
        if (e.status === 401 || e.status === 400) this.error.set({ key: 'login.failed' });
        else if (e.status === 429) this.error.set(tooManyAttempts(Number(e.headers.get('Retry-After'))));
        // other failures (5xx, offline) are shown by the interceptor's banner
      },
    });
  }
}

/** How long to wait, from the server's Retry-After (seconds): in minutes, rounded up, or seconds under a minute. */
function tooManyAttempts(retryAfterSec: number): { key: MessageKey; params?: Record<string, number> } {
  if (!Number.isFinite(retryAfterSec) || retryAfterSec <= 0) return { key: 'login.tooMany' };
  if (retryAfterSec < 60) return { key: 'login.tooManySeconds', params: { seconds: Math.ceil(retryAfterSec) } };
  return { key: 'login.tooManyMinutes', params: { minutes: Math.ceil(retryAfterSec / 60) } };
}
