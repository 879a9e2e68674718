import { Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal } from '../auth/current-principal.decorator';
import { describeActor, type Principal } from '../auth/principal';
import { ApiErrors } from '../common/api-errors.decorator';
import { CallerScope } from '../common/caller-scope.decorator';
import type { ClientScope } from '../common/client-scope';
import { IdParam } from '../common/id-param';
import { CommissioningService } from './commissioning.service';
import { DetectLayoutDto, DetectLayoutResponse } from './dto/detect-layout.dto';
import { PzemAddressDto, PzemAddressResponse, PzemAlarmThresholdDto, PzemAlarmThresholdResponse } from './dto/pzem-commands.dto';

@ApiTags('devices')
@Controller('devices')
export class CommissioningController {
  constructor(private readonly commissioning: CommissioningService) {}

  @Post('detect-layout')
  @HttpCode(200)
  @ApiOperation({ summary: "Read a generic meter's registers once and rank the decodings (type, word order, scale) whose values fall in the expected ranges" })
  @ApiOkResponse({ type: DetectLayoutResponse })
  @ApiErrors(400, 403, 422, 502, 504)
  @ApiBody({
    type: DetectLayoutDto,
    examples: {
      meter: {
        summary: 'Voltage and frequency of an unknown meter',
        value: {
          connection: { transport: 'tcp', host: '192.168.1.50', port: 502 },
          unitId: 1,
          registers: [
            { metric: 'voltage', function: 4, address: 0 },
            { metric: 'frequency', function: 4, address: 70 },
          ],
          expect: { voltage: [200, 250] },
        },
      },
    },
  })
  detectLayout(@CallerScope() scope: ClientScope, @Body() dto: DetectLayoutDto): Promise<DetectLayoutResponse> {
    return this.commissioning.detectLayout(scope, dto);
  }

  @Post(':id/pzem/address')
  @HttpCode(200)
  @ApiOperation({
    summary: "Give a PZEM-004T/017 a new Modbus address (checked free on its line first; the device's config follows once the meter confirms; audited)",
  })
  @ApiOkResponse({ type: PzemAddressResponse })
  @ApiErrors(400, 404, 409, 422, 502, 504, 507)
  @ApiBody({ type: PzemAddressDto, examples: { two: { summary: 'Give the meter address 2', value: { newAddress: 2 } } } })
  setPzemAddress(
    @CallerScope() scope: ClientScope,
    @CurrentPrincipal() p: Principal,
    @Param('id', IdParam()) id: number,
    @Body() dto: PzemAddressDto,
  ): Promise<PzemAddressResponse> {
    return this.commissioning.changePzemAddress(scope, id, dto.newAddress, describeActor(p));
  }

  @Post(':id/pzem/alarm-threshold')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Write the alarm threshold of a PZEM-004T ({watts}) or the voltage alarm thresholds of a PZEM-017 ({highVolts, lowVolts}); audited',
  })
  @ApiOkResponse({ type: PzemAlarmThresholdResponse })
  @ApiErrors(400, 404, 422, 502, 504, 507)
  @ApiBody({
    type: PzemAlarmThresholdDto,
    examples: {
      pzem004t: { summary: 'PZEM-004T: alarm above 2.3 kW', value: { watts: 2300 } },
      pzem017: { summary: 'PZEM-017: alarm outside 7-300 V', value: { highVolts: 300, lowVolts: 7 } },
    },
  })
  setPzemAlarmThreshold(
    @CallerScope() scope: ClientScope,
    @CurrentPrincipal() p: Principal,
    @Param('id', IdParam()) id: number,
    @Body() dto: PzemAlarmThresholdDto,
  ): Promise<PzemAlarmThresholdResponse> {
    return this.commissioning.setPzemAlarmThreshold(scope, id, dto, describeActor(p));
  }
}
