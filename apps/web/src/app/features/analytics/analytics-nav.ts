import { ChangeDetectionStrategy, Component, inject } from '@angular/core';
import { RouterLink, RouterLinkActive } from '@angular/router';
import { I18n } from '../../core/i18n.service';
import type { MessageKey } from '../../core/translations';

/** The Analytics area's sections. */
@Component({
  selector: 'pm-analytics-nav',
  imports: [RouterLink, RouterLinkActive],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <nav class="tabs" [attr.aria-label]="t('analytics.title')">
      @for (s of sections; track s.path) {
        <a
          [routerLink]="['/analytics', s.path]"
          routerLinkActive="active"
          [routerLinkActiveOptions]="{ exact: true }"
          [attr.data-testid]="'analytics-tab-' + (s.path || 'statistics')"
          >{{ t(s.label) }}</a
        >
      }
    </nav>
  `,
  styles: `
    .tabs {
      display: flex;
      flex-wrap: wrap;
      gap: 0.4rem 1rem;
      margin-bottom: 1rem;
    }
    .tabs a {
      padding: 0.25rem 0;
      border-bottom: 2px solid transparent;
    }
    .tabs a.active {
      border-bottom-color: currentColor;
      font-weight: 600;
    }
  `,
})
export class AnalyticsNav {
  protected readonly t = inject(I18n).t.bind(inject(I18n));
  protected readonly sections: Array<{ path: string; label: MessageKey }> = [
    { path: '', label: 'analytics.nav.statistics' },
    { path: 'baseline', label: 'analytics.nav.baseline' },
    { path: 'anomalies', label: 'analytics.nav.anomalies' },
    { path: 'voltage', label: 'analytics.nav.voltage' },
    { path: 'balance', label: 'analytics.nav.balance' },
  ];
}

/** A date input's value (local day) as the start of that day, and as its last millisecond, in ISO-8601. */
export const dayStartIso = (day: string) => new Date(`${day}T00:00:00`).toISOString();
export const dayEndIso = (day: string) => new Date(`${day}T23:59:59.999`).toISOString();
/** The local date `daysAgo` days before today as YYYY-MM-DD. */
export function localDay(daysAgo = 0): string {
  const d = new Date();
  d.setDate(d.getDate() - daysAgo);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}
