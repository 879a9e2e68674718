import { Module } from '@nestjs/common';
import { DevicesModule } from '../devices/devices.module';
import { IngestModule } from '../ingest/ingest.module';
import { LeasesModule } from '../leases/leases.module';
import { FieldBus } from '@pieng/connectors';
import { fieldBusProvider } from './field-bus.provider';
import { PollingController } from './polling.controller';
import { PollingLeases } from './polling-leases';
import { PollingService } from './polling.service';

/** Reads the Modbus and Tuya meters and stores their readings through IngestService. */
@Module({
  imports: [DevicesModule, IngestModule, LeasesModule],
  controllers: [PollingController],
  providers: [fieldBusProvider, PollingService, PollingLeases],
  exports: [PollingService, FieldBus],
})
export class PollingModule {}
