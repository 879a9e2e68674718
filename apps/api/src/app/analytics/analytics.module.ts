import { Module } from '@nestjs/common';
import { DevicesModule } from '../devices/devices.module';
import { EnergyModule } from '../energy/energy.module';
import { RollupsModule } from '../rollups/rollups.module';
import { SitesModule } from '../sites/sites.module';
import { AnalyticsController, QualityController } from './analytics.controller';
import { AnalyticsService } from './analytics.service';
import { VoltageQualityService } from './voltage-quality.service';

@Module({
  imports: [DevicesModule, EnergyModule, RollupsModule, SitesModule],
  controllers: [AnalyticsController, QualityController],
  providers: [AnalyticsService, VoltageQualityService],
  exports: [AnalyticsService],
})
export class AnalyticsModule {}
