import { ApiProperty } from '@nestjs/swagger';
import { MQTT_FORMATS, type MqttFormat } from '@pieng/connectors';
import type { DiscoveredMqttDevice } from '../mqtt-discovery';

export class DiscoveredMqttDeviceResponse {
  @ApiProperty({ description: 'The device config format to read it with', enum: MQTT_FORMATS }) format!: MqttFormat;
  @ApiProperty({
    description: "The device config topic (Tasmota's Topic, the Shelly Gen1 id, the Shelly Gen2 prefix, the Zigbee2MQTT friendly name)",
    example: 'tasmota_C2E9A6',
  })
  topic!: string;
  @ApiProperty({ description: 'The MQTT topic the announcement came on', example: 'tasmota/discovery/A4CF12C2E9A6/config' }) announcedOn!: string;
  @ApiProperty({ description: 'The model as announced, or null', type: String, nullable: true, example: 'Sonoff Pow R2' }) model!: string | null;
  @ApiProperty({ description: 'The name as announced, or null', type: String, nullable: true }) name!: string | null;
  @ApiProperty({ description: 'When it was last announced (ISO-8601 UTC)' }) lastSeenAt!: string;
  @ApiProperty({ description: 'The active mqtt device that already reads it, or null', type: Number, nullable: true }) deviceId!: number | null;

  static from(d: DiscoveredMqttDevice): DiscoveredMqttDeviceResponse {
    return {
      format: d.format,
      topic: d.topic,
      announcedOn: d.announcedOn,
      model: d.model,
      name: d.name,
      lastSeenAt: new Date(d.lastSeenAt).toISOString(),
      deviceId: d.deviceId,
    };
  }
}
