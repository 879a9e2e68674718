import { Route } from '@angular/router';
import { ApiKeysPage } from './api-keys.page';

export const API_KEYS_ROUTES: Route[] = [{ path: '', component: ApiKeysPage }];
