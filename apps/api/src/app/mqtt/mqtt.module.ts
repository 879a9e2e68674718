import { Module } from '@nestjs/common';
import { DevicesModule } from '../devices/devices.module';
import { LeasesModule } from '../leases/leases.module';
import { MqttDeviceDirectory } from './mqtt-device-directory';
import { MqttDeviceState } from './mqtt-device-state';
import { MqttDiscovery } from './mqtt-discovery';
import { MqttController } from './mqtt.controller';
import { MqttPublisher } from './mqtt-publisher';
import { MqttService } from './mqtt.service';

/** Reads MQTT meters from the broker at MQTT_URL (IngestService comes from the global IngestModule). */
@Module({
  imports: [DevicesModule, LeasesModule],
  controllers: [MqttController],
  providers: [MqttService, MqttDeviceDirectory, MqttDeviceState, MqttDiscovery, MqttPublisher],
  exports: [MqttService],
})
export class MqttModule {}
