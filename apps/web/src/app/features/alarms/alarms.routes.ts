import { Route } from '@angular/router';
import { AlarmsPage } from './alarms.page';

export const ALARMS_ROUTES: Route[] = [{ path: '', component: AlarmsPage }];
