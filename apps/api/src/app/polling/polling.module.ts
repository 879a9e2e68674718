import { Module } from '@nestjs/common';
import { DevicesModule } from '../devices/devices.module';
import { fieldBusProvider } from './field-bus.provider';
import { PollingController } from './polling.controller';
import { PollingService } from './polling.service';

/** Reads the Modbus and Tuya meters (IngestService comes from the global IngestModule). */
@Module({
  imports: [DevicesModule],
  controllers: [PollingController],
  providers: [fieldBusProvider, PollingService],
  exports: [PollingService],
})
export class PollingModule {}
