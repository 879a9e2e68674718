import { Route } from '@angular/router';
import { authGuard } from './core/auth.guard';

/** Each feature loads on first visit (`<feature>.routes.ts`), so the login page stays small. */
export const appRoutes: Route[] = [
  { path: 'login', loadChildren: () => import('./features/login/login.routes').then((m) => m.LOGIN_ROUTES) },
  {
    path: '',
    canActivate: [authGuard],
    children: [
      { path: '', pathMatch: 'full', redirectTo: 'overview' },
      { path: 'overview', loadChildren: () => import('./features/overview/overview.routes').then((m) => m.OVERVIEW_ROUTES) },
      { path: 'devices', loadChildren: () => import('./features/devices/devices.routes').then((m) => m.DEVICES_ROUTES) },
      { path: 'energy', loadChildren: () => import('./features/energy/energy.routes').then((m) => m.ENERGY_ROUTES) },
      { path: 'alarms', loadChildren: () => import('./features/alarms/alarms.routes').then((m) => m.ALARMS_ROUTES) },
      { path: 'account', loadChildren: () => import('./features/account/account.routes').then((m) => m.ACCOUNT_ROUTES) },
      { path: 'analytics', loadChildren: () => import('./features/analytics/analytics.routes').then((m) => m.ANALYTICS_ROUTES) },
      { path: 'users', loadChildren: () => import('./features/users/users.routes').then((m) => m.USERS_ROUTES) },
      { path: 'api-keys', loadChildren: () => import('./features/api-keys/api-keys.routes').then((m) => m.API_KEYS_ROUTES) },
      { path: 'tariffs', loadChildren: () => import('./features/tariffs/tariffs.routes').then((m) => m.TARIFFS_ROUTES) },
      { path: 'bandeiras', loadChildren: () => import('./features/bandeiras/bandeiras.routes').then((m) => m.BANDEIRAS_ROUTES) },
      { path: 'notifications', loadChildren: () => import('./features/notifications/notifications.routes').then((m) => m.NOTIFICATIONS_ROUTES) },
      { path: 'forwarding', loadChildren: () => import('./features/forwarding/forwarding.routes').then((m) => m.FORWARDING_ROUTES) },
    ],
  },
  { path: '**', redirectTo: 'overview' },
];
