import { Route } from '@angular/router';
import { OverviewPage } from './overview.page';

export const OVERVIEW_ROUTES: Route[] = [{ path: '', component: OverviewPage }];
