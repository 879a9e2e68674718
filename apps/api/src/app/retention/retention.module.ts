import { Module } from '@nestjs/common';
import { RetentionController } from './retention.controller';
import { RetentionStatusService } from './retention-status.service';
import { RetentionClock, RetentionService } from './retention.service';

/** Retention of raw readings and rollups: the daily job, PostgreSQL's monthly partitions, the status route. */
@Module({
  controllers: [RetentionController],
  providers: [RetentionClock, RetentionService, RetentionStatusService],
  exports: [RetentionService],
})
export class RetentionModule {}
