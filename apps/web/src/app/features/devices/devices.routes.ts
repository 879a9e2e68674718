import { Route } from '@angular/router';
import { provideCharts, withDefaultRegisterables } from 'ng2-charts';
import { DeviceDetailPage } from './device-detail.page';
import { DeviceFormPage } from './device-form.page';
import { DeviceListPage } from './device-list.page';

export const DEVICES_ROUTES: Route[] = [
  {
    path: '',
    // Chart.js registers its parts globally; provided here so it loads with the chart pages, not with the login page.
    providers: [provideCharts(withDefaultRegisterables())],
    children: [
      { path: '', component: DeviceListPage },
      { path: 'new', component: DeviceFormPage },
      { path: ':id/edit', component: DeviceFormPage },
      { path: ':id', component: DeviceDetailPage },
    ],
  },
];
