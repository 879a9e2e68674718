import { Route } from '@angular/router';
import { LoginPage } from './login.page';

export const LOGIN_ROUTES: Route[] = [{ path: '', component: LoginPage }];
