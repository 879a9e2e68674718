import { ChangeDetectionStrategy, Component, inject, signal } from '@angular/core';
import { takeUntilDestroyed } from '@angular/core/rxjs-interop';
import { ApiResponse, PiengApi } from '@pieng/api-client';
import { interval } from 'rxjs';
import { I18n } from '../../core/i18n.service';
import { formError } from '../../shared/api-error';

type Status = ApiResponse<'getForwardingStatus'>;

/** Where forwarding to the next instance stands (platform staff): target, backlog, last success and error, dead letters. */
@Component({
  selector: 'pm-forwarding-page',
  changeDetection: ChangeDetectionStrategy.OnPush,
  templateUrl: './forwarding.page.html',
  styles: `
    dl {
      display: grid;
      grid-template-columns: minmax(9rem, max-content) 1fr;
      gap: 0.4rem 1rem;
      margin: 0;
    }
    dt {
      color: var(--muted);
    }
    dd {
      margin: 0;
      overflow-wrap: anywhere;
    }
    @media (max-width: 480px) {
      dl {
        grid-template-columns: 1fr;
      }
      dd {
        margin-bottom: 0.4rem;
      }
    }
    .kpis {
      margin-bottom: 1rem;
    }
  `,
})
export class ForwardingPage {
  private readonly api = inject(PiengApi);
  protected readonly i18n = inject(I18n);
  protected readonly t = this.i18n.t.bind(this.i18n);

  protected readonly status = signal<Status | null>(null);
  protected readonly message = signal<string | null>(null);
  protected readonly error = signal<string | null>(null);
  protected readonly busy = signal(false);

  constructor() {
    this.load();
    // The backlog moves while the page is open.
    interval(10_000)
      .pipe(takeUntilDestroyed())
      .subscribe(() => this.load());
  }

  protected load(): void {
    this.api.getForwardingStatus().subscribe({ next: (s) => this.status.set(s), error: (e: unknown) => this.error.set(formError(e)?.message ?? null) });
  }

  protected retry(): void {
    this.busy.set(true);
    this.api.retryDeadLetters().subscribe({
      next: (r) => {
        this.busy.set(false);
        this.error.set(null);
        this.message.set(this.t('forwarding.requeued', { n: r.requeued }));
        this.load();
      },
      error: (e: unknown) => {
        this.busy.set(false);
        this.error.set(formError(e)?.message ?? null);
      },
    });
  }

  protected bytes(n: number): string {
    return n >= 1_048_576 ? `${this.i18n.number(n / 1_048_576, 1)} MB` : `${this.i18n.number(n / 1024, 1)} kB`;
  }
}
