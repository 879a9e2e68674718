import { Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal } from '../auth/current-principal.decorator';
import { describeActor, type Principal } from '../auth/principal';
import { ApiErrors } from '../common/api-errors.decorator';
import { CallerScope } from '../common/caller-scope.decorator';
import type { ClientScope } from '../common/client-scope';
import { IdParam } from '../common/id-param';
import { PollResultResponse, ResetEnergyResponse } from './dto/poll-result.response';
import { TestReadDto, TestReadResponse } from './dto/test-read.dto';
import { PollingService } from './polling.service';

@ApiTags('devices')
@Controller('devices')
export class PollingController {
  constructor(private readonly polling: PollingService) {}

  /** Declared before the ':id' routes so that 'test-read' is never taken for an id. */
  @Post('test-read')
  @HttpCode(200)
  @ApiOperation({ summary: 'Read a meter once with settings not saved yet (validated as on creation); stores nothing' })
  @ApiOkResponse({ type: TestReadResponse, description: 'The decoded values and how long the read took' })
  @ApiErrors(400, 404, 422, 502, 504)
  @ApiBody({
    type: TestReadDto,
    examples: {
      tcp: {
        summary: 'Try an SDM630 before saving it',
        value: { deviceType: 'modbus', config: { transport: 'tcp', host: '192.168.1.50', port: 502, unitId: 1, driver: 'sdm630' } },
      },
    },
  })
  testReadDevice(@CallerScope() scope: ClientScope, @Body() dto: TestReadDto): Promise<TestReadResponse> {
    return this.polling.testRead(scope, dto);
  }

  @Post(':id/poll')
  @HttpCode(200)
  @ApiOperation({ summary: 'Read the meter now (through its line queue) and store the reading' })
  @ApiErrors(400, 404, 422, 502, 504, 507)
  @ApiOkResponse({ type: PollResultResponse, description: 'The reading, as stored' })
  async pollDevice(@CallerScope() scope: ClientScope, @Param('id', IdParam()) id: number): Promise<PollResultResponse> {
    const r = await this.polling.pollNow(scope, id);
    return { deviceId: r.deviceId, ts: new Date(r.ts).toISOString(), source: r.source, durationMs: r.durationMs, metrics: r.metrics };
  }

  @Post(':id/reset-energy')
  @HttpCode(200)
  @ApiOperation({ summary: 'Reset the energy counter of a PZEM-004T or PZEM-017 meter to 0 (recorded in the audit trail with who did it)' })
  @ApiErrors(400, 404, 422, 502, 504, 507)
  @ApiOkResponse({ type: ResetEnergyResponse })
  async resetDeviceEnergy(
    @CallerScope() scope: ClientScope,
    @CurrentPrincipal() p: Principal,
    @Param('id', IdParam()) id: number,
  ): Promise<ResetEnergyResponse> {
    await this.polling.resetEnergy(scope, id, describeActor(p));
    return { deviceId: id, reset: true };
  }
}
