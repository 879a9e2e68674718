import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { BackupModule } from '../backup/backup.module';
import { ClientsModule } from '../clients/clients.module';
import { DevicesModule } from '../devices/devices.module';
import { ForwardingModule } from '../forwarding/forwarding.module';
import { LeasesModule } from '../leases/leases.module';
import { NotificationsModule } from '../notifications/notifications.module';
import { AlarmEvaluator } from './alarm-evaluator';
import { AlarmEventStore } from './alarm-event-store';
import { AlarmTimer } from './alarm-timer';
import { PlatformConditions } from './platform-conditions';
import { AlarmsController } from './alarms.controller';
import { AlarmsService } from './alarms.service';
import { AlarmEvent } from './entities/alarm-event.entity';
import { AlarmRule } from './entities/alarm-rule.entity';

/** Alarm rules (a client's, and the platform staff's platform rules), events and their history; each transition goes to the notification outbox (NotificationsModule's AlarmTransitionSink) in the transaction that makes it. */
@Module({
  imports: [TypeOrmModule.forFeature([AlarmRule, AlarmEvent]), ClientsModule, DevicesModule, LeasesModule, NotificationsModule, BackupModule, ForwardingModule],
  controllers: [AlarmsController],
  providers: [AlarmsService, AlarmEvaluator, AlarmEventStore, AlarmTimer, PlatformConditions],
  exports: [AlarmEvaluator],
})
export class AlarmsModule {}
