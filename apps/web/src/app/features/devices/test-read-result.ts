import { ChangeDetectionStrategy, Component, computed, inject, input } from '@angular/core';
import type { ApiResponse } from '@pieng/api-client';
import { METRICS } from '@pieng/shared';
import { I18n } from '../../core/i18n.service';

/** A read to show: a test read of unsaved settings (values with units) or a stored poll (values by metric). */
export type ReadToShow = ApiResponse<'testReadDevice'> | ApiResponse<'pollDevice'>;

interface Row {
  metric: string;
  label: string;
  value: number;
  unit: string;
}

/** The decoded values of a "test read", or why it failed. */
@Component({
  selector: 'pm-test-read-result',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    @if (error(); as e) {
      <div class="card test-read-failed" role="alert">
        <p>
          <b>{{ i18n.t('device.testReadFailed') }}</b>
        </p>
        <p class="error-text" data-testid="test-read-error">{{ e }}</p>
      </div>
    }
    @if (result(); as r) {
      <div class="card" role="status" data-testid="test-read-result">
        <p class="muted">{{ i18n.t('device.testReadOk', { ms: i18n.number(r.durationMs, 0) }) }} · {{ r.source }}</p>
        <div class="kpis">
          @for (row of rows(); track row.metric) {
            <div data-testid="test-read-value" [attr.data-metric]="row.metric">
              <span>{{ row.label }}</span
              ><b
                >{{ i18n.number(row.value, 3) }} <small class="muted">{{ row.unit }}</small></b
              >
            </div>
          }
        </div>
      </div>
    }
  `,
})
export class TestReadResult {
  protected readonly i18n = inject(I18n);
  readonly result = input<ReadToShow | null>(null);
  readonly error = input<string | null>(null);

  protected readonly rows = computed<Row[]>(() => {
    const r = this.result();
    if (!r) return [];
    const known = METRICS as Record<string, { label: string; unit: string } | undefined>;
    const entries = Array.isArray(r.metrics)
      ? r.metrics
      : Object.entries(r.metrics).map(([metric, value]) => ({ metric, value, unit: known[metric]?.unit ?? null }));
    return entries.map((m) => ({ metric: m.metric, label: known[m.metric]?.label ?? m.metric, value: m.value, unit: m.unit ?? '' }));
  });
}
