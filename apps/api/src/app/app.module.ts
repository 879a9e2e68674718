import { DynamicModule, Module } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { ServeStaticModule } from '@nestjs/serve-static';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ApiKeysModule } from './api-keys/api-keys.module';
import { AuthModule } from './auth/auth.module';
import { UsersModule } from './users/users.module';
import { AlarmsModule } from './alarms/alarms.module';
import { AuditModule } from './audit/audit.module';
import { BackupModule } from './backup/backup.module';
import { HttpDrain } from './common/http-drain';
import { ClientsModule } from './clients/clients.module';
import { APP_CONFIG, AppConfig } from './config/app-config';
import { DashboardController } from './dashboard.controller';
import { DatabaseModule } from './database/database.module';
import { DevModule } from './dev/dev.module';
import { DevicesModule } from './devices/devices.module';
import { HealthModule } from './health/health.module';
import { IngestModule } from './ingest/ingest.module';
import { MetricsModule } from './metrics/metrics.module';
import { EnergyModule } from './energy/energy.module';
import { ExportsModule } from './exports/exports.module';
import { ReportsModule } from './reports/reports.module';
import { MqttModule } from './mqtt/mqtt.module';
import { AppLogging, createLogging } from './observability/logging';
import { ObservabilityModule } from './observability/observability.module';
import { PollingModule } from './polling/polling.module';
import { RetentionModule } from './retention/retention.module';
import { SecretsModule } from './secrets/secrets.module';
import { SitesModule } from './sites/sites.module';
import { TariffsModule } from './tariffs/tariffs.module';

/** Where `npm run build` puts the web console, next to the API's own bundle. */
export function webConsoleRoot(): string | undefined {
  const candidates = [join(__dirname, '..', 'web', 'browser'), join(process.cwd(), 'dist', 'apps', 'web', 'browser')];
  return candidates.find((dir) => existsSync(join(dir, 'index.html')));
}

@Module({})
export class AppModule {
  static register(config: AppConfig, logging: AppLogging = createLogging(config)): DynamicModule {
    const webRoot = webConsoleRoot();
    const prefix = config.apiPrefix.replace(/^\//, '');
    return {
      module: AppModule,
      global: true,
      imports: [
        DatabaseModule.forRoot(config),
        SecretsModule,
        ScheduleModule.forRoot(),
        AuditModule,
        BackupModule,
        AuthModule,
        UsersModule,
        ApiKeysModule,
        HealthModule,
        ClientsModule,
        SitesModule,
        DevicesModule,
        TariffsModule,
        IngestModule,
        // Before MetricsModule, so that GET /api/metrics/prometheus is its own route.
        ObservabilityModule.register(logging),
        MetricsModule,
        EnergyModule,
        ExportsModule,
        ReportsModule,
        AlarmsModule,
        PollingModule,
        MqttModule,
        RetentionModule,
        ...(config.enableDevEndpoints ? [DevModule] : []),
        ...(webRoot ? [ServeStaticModule.forRoot({ rootPath: webRoot, exclude: [`/${prefix}/{*path}`, '/docs/{*path}', '/docs-json'] })] : []),
      ],
      controllers: [DashboardController],
      providers: [{ provide: APP_CONFIG, useValue: config }, HttpDrain],
      exports: [APP_CONFIG],
    };
  }
}
