import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ClientsModule } from '../clients/clients.module';
import { SitesModule } from '../sites/sites.module';
import { DevicesController } from './devices.controller';
import { DevicesService } from './devices.service';
import { Device } from './entities/device.entity';
import { DeviceLineWarnings } from './line-warnings';
import { DevicePollers } from './device-pollers';
import { DeviceReach } from './device-reach';
import { DeviceSecrets } from './device-secrets';

@Module({
  imports: [TypeOrmModule.forFeature([Device]), ClientsModule, SitesModule],
  controllers: [DevicesController],
  providers: [DevicesService, DeviceLineWarnings, DevicePollers, DeviceReach, DeviceSecrets],
  exports: [DevicesService, DeviceLineWarnings, DevicePollers, DeviceReach, DeviceSecrets],
})
export class DevicesModule {}
