import { Module } from '@nestjs/common';
import { DevicesModule } from '../devices/devices.module';
import { IngestModule } from '../ingest/ingest.module';
import { LeasesModule } from '../leases/leases.module';
import { MqttDeviceDirectory } from './mqtt-device-directory';
import { MqttDeviceState } from './mqtt-device-state';
import { MqttDiscovery } from './mqtt-discovery';
import { MqttController } from './mqtt.controller';
import { MqttPublisher } from './mqtt-publisher';
import { MqttService } from './mqtt.service';

/** Reads MQTT meters from the broker at MQTT_URL and stores their readings through IngestService. */
@Module({
  imports: [DevicesModule, IngestModule, LeasesModule],
  controllers: [MqttController],
  providers: [MqttService, MqttDeviceDirectory, MqttDeviceState, MqttDiscovery, MqttPublisher],
  exports: [MqttService],
})
export class MqttModule {}
