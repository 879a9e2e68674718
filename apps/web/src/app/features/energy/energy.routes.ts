import { Route } from '@angular/router';
import { provideCharts, withDefaultRegisterables } from 'ng2-charts';
import { EnergyPage } from './energy.page';

// Chart.js is provided on the chart pages' routes so it loads with them, not with the login page.
export const ENERGY_ROUTES: Route[] = [{ path: '', component: EnergyPage, providers: [provideCharts(withDefaultRegisterables())] }];
