import { Route } from '@angular/router';
import { provideCharts, withDefaultRegisterables } from 'ng2-charts';
import { AnalyticsPage } from './analytics.page';

// Chart.js is provided on the chart pages' routes so it loads with them, not with the login page.
export const ANALYTICS_ROUTES: Route[] = [{ path: '', component: AnalyticsPage, providers: [provideCharts(withDefaultRegisterables())] }];
