import { DynamicModule, Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import * as sqlite3 from 'sqlite3';
import { DataSource, DataSourceOptions } from 'typeorm';
import { AppConfig } from '../config/app-config';
import { Client } from '../clients/entities/client.entity';
import { Device } from '../devices/entities/device.entity';
import { Measurement } from '../metrics/entities/measurement.entity';
import { AlarmRule } from '../alarms/entities/alarm-rule.entity';
import { AlarmEvent } from '../alarms/entities/alarm-event.entity';
import { MIGRATIONS } from './migrations';
import { User } from '../users/entities/user.entity';
import { RefreshToken } from '../auth/entities/refresh-token.entity';
import { ApiKey } from '../api-keys/entities/api-key.entity';
import { Database } from './database.service';
import { Site } from '../sites/entities/site.entity';
import { Tariff } from '../tariffs/entities/tariff.entity';
import { Bandeira } from '../tariffs/entities/bandeira.entity';

/**
 * Every connection TypeORM opens asks for incremental auto-vacuum before anything else: on a new
 * (empty) file that takes effect with the first table, so that the pages retention frees can be
 * given back with `PRAGMA incremental_vacuum`. On an existing file it changes nothing until a
 * one-off VACUUM (see "Resolutions and retention" in the README).
 *
 * The open callback (where TypeORM sends `journal_mode = WAL`) is held back until the PRAGMA has
 * run: sqlite3 runs statements queued before the open in parallel with those sent from the
 * callback, and a file switched to WAL first stays at auto_vacuum = NONE.
 */
class IncrementalVacuumDatabase extends sqlite3.Database {
  constructor(filename: string, mode?: number | ((err: Error | null) => void), callback?: (err: Error | null) => void) {
    const opened = typeof mode === 'function' ? mode : callback;
    // sqlite3 calls the open callback with the database as `this`.
    const afterOpen = function (this: sqlite3.Database, err: Error | null) {
      if (err) return opened?.(err);
      this.run('PRAGMA auto_vacuum = INCREMENTAL', (pragmaErr: Error | null) => opened?.(pragmaErr));
    };
    if (typeof mode === 'number') super(filename, mode, afterOpen);
    else super(filename, afterOpen);
  }
}

const sqlite3ForTypeorm: typeof sqlite3 = Object.create(sqlite3, { Database: { value: IncrementalVacuumDatabase } });
/**
 * TypeORM calls sqlite3.verbose(), which wraps every statement to capture a stack trace and
 * util.inspect() all its parameters: on a 2,500-parameter ingest insert that costs more than
 * the insert itself. TypeORM gets the module with verbose() as a no-op instead.
 */
const sqlite3WithoutTracing = Object.create(sqlite3ForTypeorm, { verbose: { value: () => sqlite3ForTypeorm } });

export const ENTITIES = [Client, Device, Measurement, AlarmRule, AlarmEvent, User, RefreshToken, ApiKey, Site, Tariff, Bandeira];

/** TypeORM options for either engine. Migrations run at start-up; the schema is never synchronized. */
export function dataSourceOptions(config: AppConfig): DataSourceOptions {
  const common = { entities: ENTITIES, migrations: MIGRATIONS, migrationsRun: true, synchronize: false, logging: false } as const;
  if (config.database.type === 'postgres') {
    return { ...common, type: 'postgres', url: config.database.url, extra: { max: 10 } };
  }
  return {
    ...common,
    type: 'sqlite',
    driver: sqlite3WithoutTracing,
    database: config.database.path,
    // WAL lets readers work while a batch commits; busy_timeout rides over a backup or a second process.
    enableWAL: true,
    busyTimeout: 5000,
  };
}

@Global()
@Module({})
export class DatabaseModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: DatabaseModule,
      imports: [TypeOrmModule.forRoot({ ...dataSourceOptions(config), retryAttempts: 0 })],
      providers: [
        {
          provide: Database,
          useFactory: (dataSource: DataSource) => new Database(dataSource, { queryTimeoutMs: config.queryTimeoutMs }),
          inject: [DataSource],
        },
      ],
      exports: [Database],
    };
  }
}
