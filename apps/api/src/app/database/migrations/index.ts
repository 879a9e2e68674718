import { InitialSchema1764160000000 } from './1764160000000-initial-schema';
import { Accounts1764170000000 } from './1764170000000-accounts';

/** Every migration, in order. Listed explicitly because the server is bundled into one file. */
export const MIGRATIONS = [InitialSchema1764160000000, Accounts1764170000000];
