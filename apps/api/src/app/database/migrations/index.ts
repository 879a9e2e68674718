import { InitialSchema1764160000000 } from './1764160000000-initial-schema';

/** Every migration, in order. Listed explicitly because the server is bundled into one file. */
export const MIGRATIONS = [InitialSchema1764160000000];
