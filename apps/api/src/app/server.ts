import { INestApplication, Logger } from '@nestjs/common';
import { verifyAuditChain } from './audit/audit-chain';
import { checkAuditAgainstDatabase, describeAuditDatabaseReport } from './audit/audit-database-check';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildOpenApiDocument, createApp, createLogger } from './bootstrap';
import { AppConfig, ConfigurationError, loadConfig } from './config/app-config';
import { backupSqlite, BackupError, PG_DUMP_MESSAGE } from './backup/sqlite-backup';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from './database/database.module';
import { Database } from './database/database.service';
import { RollupRebuild } from './rollups/rollup-rebuild';
import { RollupStore } from './rollups/rollup-store';
import { AuthService } from './auth/auth.service';

export interface ServerIo {
  out(line: string): void;
  err(line: string): void;
}

/** Where the database lives, with any password hidden. */
export function databaseName(config: AppConfig): string {
  return config.database.type === 'sqlite' ? config.database.path : config.database.url.replace(/\/\/([^:@/]+):[^@]*@/, '//$1:***@');
}

/**
 * The command line: `main.js` serves; `main.js audit-verify [file...] [--chain-only]` checks the
 * audit trail's chain, then that it and the database hold the same readings; `main.js openapi [file]` writes the OpenAPI document; `main.js db-backup <file>`
 * writes a consistent copy of the SQLite database, also while the server runs; `main.js rollups-rebuild [--device N]` rebuilds
 * rollups from the raw readings that remain, with progress on stderr, also while the server runs. Returns the exit code on failure or for one-shot commands, the
 * running app otherwise.
 */
export async function runServer(argv: string[], env: Record<string, string | undefined>, io: ServerIo): Promise<number | INestApplication> {
  let config: AppConfig;
  try {
    // These commands never open a stored secret.
    config = loadConfig(env, undefined, { requireSecretsKey: !['audit-verify', 'db-backup', 'rollups-rebuild'].includes(argv[0]) });
  } catch (err) {
    io.err(err instanceof ConfigurationError ? err.message : String(err));
    return 1;
  }

  if (argv[0] === 'audit-verify') {
    const chainOnly = argv.includes('--chain-only');
    const named = argv.slice(1).filter((a) => a !== '--chain-only');
    const files = named.length ? named : [config.auditLogPath];
    for (const path of files) {
      const result = await verifyAuditChain(path);
      if (!result.ok) {
        io.err(`Audit trail BROKEN at line ${result.line} of ${path}: ${result.reason} (${result.lines} line(s) before it verified)`);
        return 1;
      }
      io.out(`Audit trail intact: ${result.lines} line(s) verified in ${path}`);
    }
    if (chainOnly) return 0;
    try {
      const report = await checkAuditAgainstDatabase(files, config.database);
      for (const line of describeAuditDatabaseReport(report, databaseName(config))) {
        if (report.ok) io.out(line);
        else io.err(line);
      }
      return report.ok ? 0 : 1;
    } catch (err) {
      io.err(
        `Cannot compare the audit trail with the database ${databaseName(config)}: ${err instanceof Error ? err.message : String(err)} (npm run audit:verify -- --chain-only checks the file alone)`,
      );
      return 1;
    }
  }

  if (argv[0] === 'db-backup') {
    if (!argv[1]) {
      io.err('Usage: db-backup <file>   (npm run db:backup -- <file>): writes a consistent copy of the SQLite database to a new file');
      return 1;
    }
    if (config.database.type !== 'sqlite') {
      io.err(PG_DUMP_MESSAGE);
      return 1;
    }
    try {
      const result = await backupSqlite(config.database.path, argv[1]);
      io.out(`Backup of ${config.database.path} written: ${result.path} (${result.bytes} bytes)`);
      return 0;
    } catch (err) {
      io.err(err instanceof BackupError ? err.message : `Backup failed: ${err instanceof Error ? err.message : String(err)}`);
      return 1;
    }
  }

  if (argv[0] === 'rollups-rebuild') return rebuildRollups(argv.slice(1), config, io);

  if (argv[0] === 'openapi') {
    // The document as the default configuration serves it, built on a throw-away database.
    const dataDir = mkdtempSync(join(tmpdir(), 'pieng-openapi-'));
    try {
      const docConfig = loadConfig({ DATA_DIR: dataDir, LOG_LEVEL: 'error', ENABLE_POLLING: 'false' });
      const app = await createApp(docConfig, { logStream: 'stderr' }); // stdout may be the document itself
      const text = JSON.stringify(buildOpenApiDocument(app, docConfig), null, 2) + '\n';
      await app.close();
      if (argv[1]) writeFileSync(argv[1], text);
      else io.out(text);
      return 0;
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }

  Logger.overrideLogger(createLogger(config));
  let app: INestApplication;
  try {
    app = await createApp(config);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    // A setting found wrong only at start-up (the secrets key file) is named as such, not blamed on the database.
    io.err(err instanceof ConfigurationError ? reason : `Cannot start: the database at ${databaseName(config)} could not be opened or migrated: ${reason}`);
    return 1;
  }
  await app.listen(config.port);
  const url = `http://localhost:${config.port}`;
  new Logger('Bootstrap').log(
    `${config.appName} is running: console ${url}/ · API ${url}${config.apiPrefix} · Swagger UI ${url}/docs · database ${databaseName(config)}`,
  );
  const firstStart = app.get(AuthService).firstStartNotice;
  if (firstStart) new Logger('Bootstrap').warn(firstStart);
  return app;
}

async function rebuildRollups(args: string[], config: AppConfig, io: ServerIo): Promise<number> {
  const at = args.indexOf('--device');
  const deviceId = at >= 0 ? Number(args[at + 1]) : undefined;
  if ((at >= 0 && !(Number.isSafeInteger(deviceId) && (deviceId as number) > 0)) || args.some((a, i) => a !== '--device' && i !== at + 1)) {
    io.err(
      'Usage: rollups-rebuild [--device N]   (npm run rollups:rebuild -- --device 3): rebuilds rollups from the raw readings that remain; without --device, of every device',
    );
    return 1;
  }
  // Migrations run first, as at a server's start: the command may be the first to open an upgraded database.
  const dataSource = new DataSource(dataSourceOptions(config));
  try {
    await dataSource.initialize();
    const db = new Database(dataSource, { queryTimeoutMs: config.queryTimeoutMs });
    const started = Date.now();
    const report = await new RollupRebuild(db, new RollupStore(db), (line) => io.err(line)).run(deviceId);
    const seconds = (Date.now() - started) / 1000;
    io.out(
      `Rollups rebuilt for ${report.devices} device(s) from ${report.values.toLocaleString('en')} raw values into ${report.buckets.toLocaleString('en')} buckets in ${seconds.toFixed(1)} s` +
        (report.daysKept ? `; ${report.daysKept} partly deleted day(s) kept their rollups` : ''),
    );
    return 0;
  } catch (err) {
    io.err(`rollups-rebuild failed on ${databaseName(config)}: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  } finally {
    if (dataSource.isInitialized) await dataSource.destroy();
  }
}
