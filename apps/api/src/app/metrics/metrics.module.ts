import { Module } from '@nestjs/common';
import { DevicesModule } from '../devices/devices.module';
import { MetricsController } from './metrics.controller';
import { MetricsService } from './metrics.service';

@Module({ imports: [DevicesModule], controllers: [MetricsController], providers: [MetricsService] })
export class MetricsModule {}
