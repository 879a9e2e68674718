import { ChangeDetectionStrategy, Component, inject, input } from '@angular/core';
import type { ApiResponse } from '@pieng/api-client';
import { METRICS } from '@pieng/shared';
import { I18n } from '../../core/i18n.service';

/** The decoded values of a "test read", or why it failed. */
@Component({
  selector: 'pm-test-read-result',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    @if (error(); as e) {
      <p class="error-text" role="alert" data-testid="test-read-error">{{ e }}</p>
    }
    @if (result(); as r) {
      <div class="card" role="status" data-testid="test-read-result">
        <p class="muted">{{ i18n.t('device.testReadOk', { ms: i18n.number(r.durationMs, 0) }) }} · {{ r.source }}</p>
        <div class="kpis">
          @for (entry of entries(r.metrics); track entry[0]) {
            <div><span>{{ labelOf(entry[0]) }}</span><b>{{ i18n.number(entry[1], 3) }}</b> <small class="muted">{{ unitOf(entry[0]) }}</small></div>
          }
        </div>
      </div>
    }
  `,
})
export class TestReadResult {
  protected readonly i18n = inject(I18n);
  readonly result = input<ApiResponse<'pollDevice'> | null>(null);
  readonly error = input<string | null>(null);

  protected entries(metrics: Record<string, number>): [string, number][] {
    return Object.entries(metrics);
  }

  protected labelOf(metric: string): string {
    return (METRICS as Record<string, { label: string } | undefined>)[metric]?.label ?? metric;
  }

  protected unitOf(metric: string): string {
    return (METRICS as Record<string, { unit: string } | undefined>)[metric]?.unit ?? '';
  }
}
