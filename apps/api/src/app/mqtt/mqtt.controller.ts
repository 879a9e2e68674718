import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
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
  listDiscovered(): DiscoveredMqttDeviceResponse[] {
    return this.discovery.list().map(DiscoveredMqttDeviceResponse.from);
  }
}
