import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { loadConfig } from '../app/config/app-config';
import { dataSourceOptions } from '../app/database/database.module';
import { Database } from '../app/database/database.service';
import type { InstanceIdentity } from '../app/leases/instance-identity';
import { LeaseStore } from '../app/leases/lease-store';
import { createPgDatabase, TEST_SECRETS_KEY, usesPostgres } from './test-app';

export interface TestDb {
  db: Database;
  /** A lease store acting as the given owner (as another instance would). */
  storeFor(owner: string): LeaseStore;
  close(): Promise<void>;
}

/** The real schema (migrations run) on a temporary SQLite file or a fresh PostgreSQL database, without the app. */
export async function openTestDb(engine: 'sqlite' | 'postgres'): Promise<TestDb> {
  const dataDir = mkdtempSync(join(tmpdir(), 'pieng-db-'));
  const pg = engine === 'postgres' ? await createPgDatabase() : undefined;
  const config = loadConfig({ DATA_DIR: dataDir, ...(pg && { DATABASE_URL: pg.url, SECRETS_KEY: TEST_SECRETS_KEY }) });
  const dataSource = new DataSource(dataSourceOptions(config));
  await dataSource.initialize();
  const db = new Database(dataSource);
  return {
    db,
    storeFor: (owner) => new LeaseStore(db, { id: owner, owner } as InstanceIdentity),
    close: async () => {
      await dataSource.destroy();
      await pg?.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** SQLite always; PostgreSQL too under npm run test:pg (TEST_DATABASE=postgres). */
export const TEST_ENGINES: Array<'sqlite' | 'postgres'> = usesPostgres() ? ['sqlite', 'postgres'] : ['sqlite'];
