import { Route } from '@angular/router';
import { NotificationsPage } from './notifications.page';

export const NOTIFICATIONS_ROUTES: Route[] = [{ path: '', component: NotificationsPage }];
