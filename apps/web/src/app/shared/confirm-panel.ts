import { ChangeDetectionStrategy, Component, ElementRef, afterNextRender, inject, input, output, viewChild } from '@angular/core';
import { I18n } from '../core/i18n.service';

/**
 * The question before a deletion, in place of the thing it deletes: what goes (projected content), the server's
 * refusal once it answered (a 409 says what is still in the way), and the two answers. Cancel has the focus, so
 * Enter does not delete by accident.
 */
@Component({
  selector: 'pm-confirm-panel',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <div class="confirm" role="alertdialog" [attr.aria-label]="title()" data-testid="delete-confirm">
      <strong>{{ title() }}</strong>
      <ng-content />
      @if (error(); as e) {
        <p class="error-text" role="alert">{{ e }}</p>
      }
      <div class="row">
        <button type="button" class="danger" (click)="confirmed.emit()" data-testid="delete-confirm-button">{{ confirmLabel() }}</button>
        <button #cancel type="button" (click)="cancelled.emit()" data-testid="delete-cancel">{{ t('common.cancel') }}</button>
      </div>
    </div>
  `,
  styles: `
    .confirm {
      display: flex;
      flex-direction: column;
      gap: 0.5rem;
      border-left: 3px solid var(--danger);
      padding-left: 0.75rem;
    }
  `,
})
export class ConfirmPanel {
  private readonly i18n = inject(I18n);
  protected readonly t = this.i18n.t.bind(this.i18n);
  readonly title = input.required<string>();
  readonly confirmLabel = input.required<string>();
  /** Why the last try failed, in the server's words; null before a try or when the banner already says it. */
  readonly error = input<string | null>(null);
  readonly confirmed = output<void>();
  readonly cancelled = output<void>();
  private readonly cancel = viewChild.required<ElementRef<HTMLButtonElement>>('cancel');

  constructor() {
    afterNextRender(() => this.cancel().nativeElement.focus());
  }
}
