import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ClientsModule } from '../clients/clients.module';
import { DevicesModule } from '../devices/devices.module';
import { AlarmEvaluator } from './alarm-evaluator';
import { AlarmsController } from './alarms.controller';
import { AlarmsService } from './alarms.service';
import { AlarmEvent } from './entities/alarm-event.entity';
import { AlarmRule } from './entities/alarm-rule.entity';

@Module({
  imports: [TypeOrmModule.forFeature([AlarmRule, AlarmEvent]), ClientsModule, DevicesModule],
  controllers: [AlarmsController],
  providers: [AlarmsService, AlarmEvaluator],
  exports: [AlarmEvaluator],
})
export class AlarmsModule {}
