import { Route } from '@angular/router';
import { BandeirasPage } from './bandeiras.page';

export const BANDEIRAS_ROUTES: Route[] = [{ path: '', component: BandeirasPage }];
