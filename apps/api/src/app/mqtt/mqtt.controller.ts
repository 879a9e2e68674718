import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiTags, ApiOperation } from '@nestjs/swagger';
import { StaffOnly } from '../auth/current-principal.decorator';
import { ApiErrors } from '../common/api-errors.decorator';
import { DiscoveredMqttDeviceResponse } from './dto/discovered-mqtt-device.response';
import { MqttDiscovery } from './mqtt-discovery';

@ApiTags('mqtt')
@Controller('mqtt')
export class MqttController {
  constructor(private readonly discovery: MqttDiscovery) {}

  /** Meters that announced themselves on the broker, newest first (platform staff: they belong to no client yet). */
  @Get('discovered')
  @StaffOnly()
  @ApiErrors()
  @ApiOkResponse({ type: [DiscoveredMqttDeviceResponse] })
  @ApiOperation({ summary: 'MQTT meters announced on the broker (Tasmota, Shelly, Zigbee2MQTT), to add in one click' })
  listDiscovered(): DiscoveredMqttDeviceResponse[] {
    return this.discovery.list().map(DiscoveredMqttDeviceResponse.from);
  }
}
