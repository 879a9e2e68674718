import { Route } from '@angular/router';
import { ForwardingPage } from './forwarding.page';

export const FORWARDING_ROUTES: Route[] = [{ path: '', component: ForwardingPage }];
