import { Module } from '@nestjs/common';
import { DevicesModule } from '../devices/devices.module';
import { PollingModule } from '../polling/polling.module';
import { CommissioningController } from './commissioning.controller';
import { CommissioningService } from './commissioning.service';
import { LineAccess } from './line-access';
import { LinesController } from './lines.controller';
import { LineScans } from './line-scans';

/** Commissioning a line: scans, register-layout detection, PZEM address and thresholds (through the polling module's FieldBus). */
@Module({
  imports: [DevicesModule, PollingModule],
  controllers: [LinesController, CommissioningController],
  providers: [LineAccess, LineScans, CommissioningService],
})
export class CommissioningModule {}
