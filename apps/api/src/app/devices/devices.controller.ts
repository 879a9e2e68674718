import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBody, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiTags, ApiOperation } from '@nestjs/swagger';
import { CurrentPrincipal } from '../auth/current-principal.decorator';
import { describeActor, type Principal } from '../auth/principal';
import { ApiErrors } from '../common/api-errors.decorator';
import { CallerScope } from '../common/caller-scope.decorator';
import type { ClientScope } from '../common/client-scope';
import { IdParam } from '../common/id-param';
import { redactDeviceConfig } from '@pieng/connectors';
import { CreateDeviceDto } from './dto/create-device.dto';
import { DeleteDeviceQuery } from './dto/delete-device.query';
import { DeviceQuery } from './dto/device.query';
import { DeviceResponse } from './dto/device.response';
import { UpdateDeviceDto } from './dto/update-device.dto';
import { DevicesService } from './devices.service';
import type { Device } from './entities/device.entity';
import { DeviceLineWarnings } from './line-warnings';
import { DevicePollers } from './device-pollers';
import { lastErrorSeenBy } from './device-status';

@ApiTags('devices')
@Controller('devices')
export class DevicesController {
  constructor(
    private readonly devices: DevicesService,
    private readonly lineWarnings: DeviceLineWarnings,
    private readonly pollers: DevicePollers,
  ) {}

  private async toResponses(scope: ClientScope, list: Device[]): Promise<DeviceResponse[]> {
    const polledBy = await this.pollers.of(list);
    return list.map((d) =>
      DeviceResponse.from({ ...d, lastError: lastErrorSeenBy(scope, d) }, redactDeviceConfig, this.lineWarnings.get(d.id), polledBy.get(d.id) ?? null),
    );
  }

  private async toResponse(scope: ClientScope, d: Device): Promise<DeviceResponse> {
    return (await this.toResponses(scope, [d]))[0];
  }

  @Get()
  @ApiErrors(400)
  @ApiOkResponse({ type: [DeviceResponse] })
  @ApiOperation({ summary: 'List the devices (meters) you may see, with status and last reading time' })
  async listDevices(@CallerScope() scope: ClientScope, @Query() query: DeviceQuery): Promise<DeviceResponse[]> {
    return this.toResponses(scope, await this.devices.list(scope, query.clientId));
  }

  @Post()
  @ApiErrors(400, 404, 409)
  @ApiCreatedResponse({ type: DeviceResponse })
  @ApiOperation({ summary: 'Add a meter (Modbus RTU/TCP, PZEM, Eastron SDM, register map, Tuya, MQTT or pushed over the API)' })
  @ApiBody({
    type: CreateDeviceDto,
    examples: {
      sdm630: {
        summary: 'Eastron SDM630 over Modbus TCP',
        value: {
          clientId: 1,
          name: 'Main panel SDM630',
          deviceType: 'modbus',
          pollIntervalSec: 10,
          config: { transport: 'tcp', host: '192.168.1.50', port: 502, unitId: 1, driver: 'sdm630' },
        },
      },
      pzem: {
        summary: 'PZEM-004T on an RS485 line',
        value: {
          clientId: 1,
          name: 'Pump PZEM',
          deviceType: 'modbus',
          pollIntervalSec: 5,
          config: { transport: 'rtu', port: '/dev/ttyUSB0', baudRate: 9600, slaveId: 1, driver: 'pzem004t' },
        },
      },
      tasmota: {
        summary: 'Tasmota plug over MQTT',
        value: { clientId: 1, name: 'Office plug', deviceType: 'mqtt', config: { format: 'tasmota', topic: 'tasmota_8F2A1C' } },
      },
      pushed: { summary: 'A meter that pushes its readings to /api/ingest', value: { clientId: 1, name: 'Gateway meter 3', deviceType: 'api' } },
    },
  })
  async createDevice(@CallerScope() scope: ClientScope, @Body() dto: CreateDeviceDto): Promise<DeviceResponse> {
    return this.toResponse(scope, await this.devices.create(scope, dto));
  }

  @Get(':id')
  @ApiErrors(400, 404)
  @ApiOkResponse({ type: DeviceResponse })
  @ApiOperation({ summary: 'One device, with its status, last error and (for MQTT) the last rejected payload' })
  async getDevice(@CallerScope() scope: ClientScope, @Param('id', IdParam()) id: number): Promise<DeviceResponse> {
    return this.toResponse(scope, await this.devices.get(scope, id));
  }

  @Patch(':id')
  @ApiErrors(400, 404, 409)
  @ApiOkResponse({ type: DeviceResponse })
  @ApiOperation({ summary: "Change a device's name, connection, poll interval, site or active flag" })
  @ApiBody({
    type: UpdateDeviceDto,
    examples: {
      interval: { summary: 'Poll every 30 s as a sub-meter', value: { pollIntervalSec: 30, submeter: true } },
      pause: { summary: 'Stop polling without deleting', value: { active: false } },
    },
  })
  async updateDevice(@CallerScope() scope: ClientScope, @Param('id', IdParam()) id: number, @Body() dto: UpdateDeviceDto): Promise<DeviceResponse> {
    return this.toResponse(scope, await this.devices.update(scope, id, dto));
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiErrors(400, 404, 409, 507)
  @ApiNoContentResponse({ description: 'The device was deleted (with purge, its readings too, recorded in the audit trail with who did it)' })
  @ApiOperation({ summary: 'Delete a device; its readings are kept unless ?purge=true' })
  async deleteDevice(
    @CallerScope() scope: ClientScope,
    @CurrentPrincipal() p: Principal,
    @Param('id', IdParam()) id: number,
    @Query() query: DeleteDeviceQuery,
  ): Promise<void> {
    await this.devices.remove(scope, id, query.purge ?? false, describeActor(p));
  }
}
