import { DynamicModule, Module } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
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
import { AnalyticsModule } from './analytics/analytics.module';
import { ExportsModule } from './exports/exports.module';
import { ReportsModule } from './reports/reports.module';
import { MqttModule } from './mqtt/mqtt.module';
import { NotificationsModule } from './notifications/notifications.module';
import { AppLogging, createLogging } from './observability/logging';
import { ObservabilityModule } from './observability/observability.module';
import { PollingModule } from './polling/polling.module';
import { CommissioningModule } from './commissioning/commissioning.module';
import { RetentionModule } from './retention/retention.module';
import { SecretsModule } from './secrets/secrets.module';
import { SitesModule } from './sites/sites.module';
import { TariffsModule } from './tariffs/tariffs.module';

/** Where `npm run build` puts the web console, next to the API's own bundle. */
@Module({})
export class AppModule {
  static register(config: AppConfig, logging: AppLogging = createLogging(config)): DynamicModule {
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
        ObservabilityModule.register(logging),
        MetricsModule,
        EnergyModule,
        AnalyticsModule,
        ExportsModule,
        ReportsModule,
        AlarmsModule,
        NotificationsModule,
        PollingModule,
        CommissioningModule,
        MqttModule,
        RetentionModule,
        ...(config.enableDevEndpoints ? [DevModule] : []),
      ],
      controllers: [DashboardController],
      providers: [{ provide: APP_CONFIG, useValue: config }, HttpDrain],
      exports: [APP_CONFIG],
    };
  }
}
