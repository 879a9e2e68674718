import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal } from '../auth/current-principal.decorator';
import { describeActor, type Principal } from '../auth/principal';
import { ApiErrors } from '../common/api-errors.decorator';
import { CallerScope } from '../common/caller-scope.decorator';
import type { ClientScope } from '../common/client-scope';
import { IdParam } from '../common/id-param';
import { publicDeviceConfig } from './device-config';
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
    return list.map((d) => DeviceResponse.from({ ...d, lastError: lastErrorSeenBy(scope, d) }, publicDeviceConfig, this.lineWarnings.get(d.id), polledBy.get(d.id) ?? null));
  }

  private async toResponse(scope: ClientScope, d: Device): Promise<DeviceResponse> {
    return (await this.toResponses(scope, [d]))[0];
  }

  @Get()
  @ApiErrors(400)
  @ApiOkResponse({ type: [DeviceResponse] })
  async listDevices(@CallerScope() scope: ClientScope, @Query() query: DeviceQuery): Promise<DeviceResponse[]> {
    return this.toResponses(scope, await this.devices.list(scope, query.clientId));
  }

  @Post()
  @ApiErrors(400, 404, 409)
  @ApiCreatedResponse({ type: DeviceResponse })
  async createDevice(@CallerScope() scope: ClientScope, @Body() dto: CreateDeviceDto): Promise<DeviceResponse> {
    return this.toResponse(scope, await this.devices.create(scope, dto));
  }

  @Get(':id')
  @ApiErrors(400, 404)
  @ApiOkResponse({ type: DeviceResponse })
  async getDevice(@CallerScope() scope: ClientScope, @Param('id', IdParam()) id: number): Promise<DeviceResponse> {
    return this.toResponse(scope, await this.devices.get(scope, id));
  }

  @Patch(':id')
  @ApiErrors(400, 404, 409)
  @ApiOkResponse({ type: DeviceResponse })
  async updateDevice(@CallerScope() scope: ClientScope, @Param('id', IdParam()) id: number, @Body() dto: UpdateDeviceDto): Promise<DeviceResponse> {
    return this.toResponse(scope, await this.devices.update(scope, id, dto));
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiErrors(400, 404, 409, 507)
  @ApiNoContentResponse({ description: 'The device was deleted (with purge, its readings too, recorded in the audit trail with who did it)' })
  async deleteDevice(@CallerScope() scope: ClientScope, @CurrentPrincipal() p: Principal, @Param('id', IdParam()) id: number, @Query() query: DeleteDeviceQuery): Promise<void> {
    await this.devices.remove(scope, id, query.purge ?? false, describeActor(p));
  }
}
