import { Logger } from '@nestjs/common';
import { existsSync } from 'node:fs';
import { verifyAuditChain } from './app/audit/audit-chain';
import { createApp, createLogger } from './app/bootstrap';
import { AppConfig, ConfigurationError, loadConfig } from './app/config/app-config';

function readConfig(): AppConfig {
  // A .env in the working directory fills in what the real environment leaves unset.
  if (existsSync('.env')) process.loadEnvFile('.env');
  return loadConfig(process.env);
}

async function auditVerify(config: AppConfig): Promise<number> {
  const path = process.argv[3] ?? config.auditLogPath;
  const result = await verifyAuditChain(path);
  if (result.ok) {
    console.log(`Audit trail intact: ${result.lines} line(s) verified in ${path}`);
    return 0;
  }
  console.error(`Audit trail BROKEN at line ${result.line} of ${path}: ${result.reason} (${result.lines} line(s) before it verified)`);
  return 1;
}

function databaseName(config: AppConfig): string {
  return config.database.type === 'sqlite' ? config.database.path : config.database.url.replace(/\/\/([^:@/]+):[^@]*@/, '//$1:***@');
}

async function main(): Promise<void> {
  let config: AppConfig;
  try {
    config = readConfig();
  } catch (err) {
    console.error(err instanceof ConfigurationError ? err.message : err);
    process.exit(1);
  }
  if (process.argv[2] === 'audit-verify') process.exit(await auditVerify(config));

  const logger = new Logger('Bootstrap');
  Logger.overrideLogger(createLogger(config));
  let app;
  try {
    app = await createApp(config);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    logger.error(`Cannot start: the database at ${databaseName(config)} could not be opened or migrated: ${reason}`);
    process.exit(1);
  }
  await app.listen(config.port);
  const url = `http://localhost:${config.port}`;
  logger.log(`${config.appName} is running: console ${url}/ · API ${url}${config.apiPrefix} · Swagger UI ${url}/docs · database ${databaseName(config)}`);
}

void main();
