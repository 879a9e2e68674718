import { DynamicModule, Global, Module, RequestMethod } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { ForwardingModule } from '../forwarding/forwarding.module';
import type { AppLogging } from './logging';
import { PrometheusController } from './prometheus.controller';
import { PlantMetrics } from './plant-metrics';

/**
 * Logs, metrics: nestjs-pino's request logging (pino-http, a request id on every line logged
 * while serving a request) and the Prometheus metrics (PlantMetrics, which other services call).
 */
@Global()
@Module({})
export class ObservabilityModule {
  static register(logging: AppLogging): DynamicModule {
    return {
      module: ObservabilityModule,
      imports: [LoggerModule.forRoot({ ...logging.params, forRoutes: [{ path: '{*path}', method: RequestMethod.ALL }] }), ForwardingModule],
      controllers: [PrometheusController],
      providers: [PlantMetrics],
      exports: [PlantMetrics],
    };
  }
}
