import { Global, Module } from '@nestjs/common';
import { AlarmsModule } from '../alarms/alarms.module';
import { DevicesModule } from '../devices/devices.module';
import { ForwardingModule } from '../forwarding/forwarding.module';
import { RollupsModule } from '../rollups/rollups.module';
import { IngestController } from './ingest.controller';
import { IngestService } from './ingest.service';
import { LiveController } from './live.controller';
import { LiveReadings } from './live-readings';

@Global()
@Module({
  imports: [DevicesModule, AlarmsModule, ForwardingModule, RollupsModule],
  controllers: [IngestController, LiveController],
  providers: [IngestService, LiveReadings],
  exports: [IngestService, LiveReadings],
})
export class IngestModule {}
