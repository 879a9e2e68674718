import { Module } from '@nestjs/common';
import { ClientsModule } from '../clients/clients.module';
import { DevicesModule } from '../devices/devices.module';
import { RollupsModule } from '../rollups/rollups.module';
import { MetricsController } from './metrics.controller';
import { MetricsService } from './metrics.service';

@Module({ imports: [DevicesModule, ClientsModule, RollupsModule], controllers: [MetricsController], providers: [MetricsService] })
export class MetricsModule {}
