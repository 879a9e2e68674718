import { Route } from '@angular/router';
import { TariffsPage } from './tariffs.page';

export const TARIFFS_ROUTES: Route[] = [{ path: '', component: TariffsPage }];
