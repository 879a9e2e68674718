import { Module } from '@nestjs/common';
import { LeasesModule } from '../leases/leases.module';
import { Forwarder } from './forwarder';
import { ForwardingController } from './forwarding.controller';
import { ForwardingOutbox } from './forwarding-outbox';
import { ForwardingService } from './forwarding.service';

/** Master-to-slave forwarding: the outbox IngestService writes, the forwarder that drains it, its status. */
@Module({
  imports: [LeasesModule],
  controllers: [ForwardingController],
  providers: [ForwardingOutbox, Forwarder, ForwardingService],
  exports: [ForwardingOutbox, Forwarder, ForwardingService],
})
export class ForwardingModule {}
