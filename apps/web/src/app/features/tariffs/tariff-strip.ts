import { ChangeDetectionStrategy, Component, computed, inject, input } from '@angular/core';
import { I18n } from '../../core/i18n.service';
import type { MessageKey } from '../../core/translations';
import { daySegments, hhmmOf, MINUTES_PER_DAY, TariffWindowLike } from './day-segments';

const HOURS = Array.from({ length: 25 }, (_, h) => h);

/**
 * A working day's postos on a 24-hour bar, with hour ticks. Plain CSS boxes positioned in percent rather than a chart:
 * it stretches to a phone's width and takes its colours from the theme.
 */
@Component({
  selector: 'pm-tariff-strip',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <div class="strip" role="img" [attr.aria-label]="label()" data-testid="tariff-strip">
      <div class="bar">
        @for (s of segments(); track s.start) {
          <span
            [class]="'segment ' + s.posto"
            [style.left.%]="(s.start / day) * 100"
            [style.width.%]="((s.end - s.start) / day) * 100"
            [title]="postoName(s.posto) + ' ' + hhmm(s.start) + '–' + hhmm(s.end)"
            [attr.data-posto]="s.posto"
          ></span>
        }
      </div>
      <div class="ticks" aria-hidden="true">
        @for (h of hours; track h) {
          <span class="tick" [class.major]="h % 6 === 0" [style.left.%]="(h / 24) * 100">
            @if (h % 6 === 0) {
              <small>{{ h }}h</small>
            }
          </span>
        }
      </div>
    </div>
  `,
  styles: `
    :host {
      display: block;
      min-width: 10rem;
    }
    .bar {
      position: relative;
      height: 1rem;
      border-radius: 4px;
      overflow: hidden;
      background: var(--muted-bg);
    }
    .segment {
      position: absolute;
      top: 0;
      bottom: 0;
    }
    .foraPonta {
      background: var(--ok);
      opacity: 0.55;
    }
    .intermediario {
      background: var(--warn);
    }
    .ponta {
      background: var(--danger);
    }
    .ticks {
      position: relative;
      height: 1.1rem;
    }
    .tick {
      position: absolute;
      top: 0;
      width: 1px;
      height: 0.25rem;
      background: var(--border);
    }
    .tick.major {
      height: 0.4rem;
      background: var(--muted);
    }
    .tick small {
      position: absolute;
      top: 0.35rem;
      transform: translateX(-50%);
      font-size: 0.65rem;
      color: var(--muted);
      white-space: nowrap;
    }
    .tick:first-child small {
      transform: none;
    }
    .tick:last-child small {
      transform: translateX(-100%);
    }
  `,
})
export class TariffStrip {
  private readonly i18n = inject(I18n);
  readonly windows = input.required<readonly TariffWindowLike[]>();
  protected readonly segments = computed(() => daySegments(this.windows()));
  protected readonly day = MINUTES_PER_DAY;
  protected readonly hours = HOURS;
  protected readonly hhmm = hhmmOf;
  /** What the bar shows, for screen readers: each segment in words. */
  protected readonly label = computed(() =>
    this.segments()
      .map((s) => `${this.postoName(s.posto)} ${hhmmOf(s.start)}–${hhmmOf(s.end)}`)
      .join(', '),
  );

  protected postoName(posto: string): string {
    return this.i18n.t(`posto.${posto}` as MessageKey);
  }
}
