import { Route } from '@angular/router';
import { AccountPage } from './account.page';

export const ACCOUNT_ROUTES: Route[] = [{ path: '', component: AccountPage }];
