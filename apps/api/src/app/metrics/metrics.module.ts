import { Module } from '@nestjs/common';
import { ClientsModule } from '../clients/clients.module';
import { DevicesModule } from '../devices/devices.module';
import { MetricsController } from './metrics.controller';
import { MetricsService } from './metrics.service';

@Module({ imports: [DevicesModule, ClientsModule], controllers: [MetricsController], providers: [MetricsService] })
export class MetricsModule {}
