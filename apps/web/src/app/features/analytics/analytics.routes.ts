import { Route } from '@angular/router';
import { provideCharts, withDefaultRegisterables } from 'ng2-charts';
import { AnalyticsPage } from './analytics.page';
import { AnomaliesPage } from './anomalies.page';
import { BaselinePage } from './baseline.page';
import { EnergyBalancePage } from './energy-balance.page';
import { VoltageQualityPage } from './voltage-quality.page';

// Chart.js is provided on the chart pages' routes so it loads with them, not with the login page.
export const ANALYTICS_ROUTES: Route[] = [
  {
    path: '',
    providers: [provideCharts(withDefaultRegisterables())],
    children: [
      { path: '', component: AnalyticsPage },
      { path: 'baseline', component: BaselinePage },
      { path: 'anomalies', component: AnomaliesPage },
      { path: 'voltage', component: VoltageQualityPage },
      { path: 'balance', component: EnergyBalancePage },
    ],
  },
];
