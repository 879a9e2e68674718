import { Module } from '@nestjs/common';
import { ForwardingModule } from '../forwarding/forwarding.module';
import { MqttModule } from '../mqtt/mqtt.module';
import { PollingModule } from '../polling/polling.module';
import { HealthController } from './health.controller';
import { HealthService } from './health.service';

@Module({
  imports: [PollingModule, ForwardingModule, MqttModule],
  controllers: [HealthController],
  providers: [HealthService],
})
export class HealthModule {}
