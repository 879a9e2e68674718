import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ClientsModule } from '../clients/clients.module';
import { DevicesController } from './devices.controller';
import { DevicesService } from './devices.service';
import { Device } from './entities/device.entity';
import { DeviceLineWarnings } from './line-warnings';

@Module({
  imports: [TypeOrmModule.forFeature([Device]), ClientsModule],
  controllers: [DevicesController],
  providers: [DevicesService, DeviceLineWarnings],
  exports: [DevicesService, DeviceLineWarnings],
})
export class DevicesModule {}
