import { Module } from '@nestjs/common';
import { AlarmsModule } from '../alarms/alarms.module';
import { DevicesModule } from '../devices/devices.module';
import { ForwardingModule } from '../forwarding/forwarding.module';
import { RollupsModule } from '../rollups/rollups.module';
import { LeasesModule } from '../leases/leases.module';
import { IngestController } from './ingest.controller';
import { IngestService } from './ingest.service';
import { LiveController } from './live.controller';
import { LiveReadings } from './live-readings';
import { LiveRelay } from './live-relay';

/** The one write path of readings (see docs/ARCHITECTURE.md); modules that push readings import it. */
@Module({
  imports: [DevicesModule, AlarmsModule, ForwardingModule, RollupsModule, LeasesModule],
  controllers: [IngestController, LiveController],
  providers: [IngestService, LiveReadings, LiveRelay],
  exports: [IngestService, LiveReadings],
})
export class IngestModule {}
