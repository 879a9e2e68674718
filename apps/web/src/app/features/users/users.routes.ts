import { Route } from '@angular/router';
import { UsersPage } from './users.page';

export const USERS_ROUTES: Route[] = [{ path: '', component: UsersPage }];
