import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../common/api-errors.decorator';
import { CallerScope } from '../common/caller-scope.decorator';
import type { ClientScope } from '../common/client-scope';
import { DemandQuery, EnergyQuery } from './dto/energy.queries';
import { DemandResponse, EnergyResponse } from './dto/energy.responses';
import { EnergyService } from './energy.service';

@ApiTags('energy')
@Controller('energy')
export class EnergyController {
  constructor(private readonly energy: EnergyService) {}

  @Get()
  @ApiOperation({
    summary: 'Energy (kWh) per interval of a device or of a client, with the data-quality flags',
    description:
      "Energy comes from the `energy` counter by deltas (resets, register rollovers, spikes above the device's maxPowerW and jitter handled; " +
      'a delta over a gap longer than max(3 × poll interval, 15 min) is spread evenly and counted as interpolated), or from `power` by trapezoids where there is no counter. ' +
      'Export comes from `exportEnergy` the same way.',
  })
  @ApiErrors(400, 404, 422, 503)
  @ApiOkResponse({ type: EnergyResponse })
  getEnergy(@CallerScope() scope: ClientScope, @Query() q: EnergyQuery): Promise<EnergyResponse> {
    return this.energy.energy(scope, q);
  }

  @Get('demand')
  @ApiOperation({ summary: '15-minute demand (mean power over each window, D = kWh × 4) of a device or of a client, and its peak' })
  @ApiErrors(400, 404, 422, 503)
  @ApiOkResponse({ type: DemandResponse })
  getDemand(@CallerScope() scope: ClientScope, @Query() q: DemandQuery): Promise<DemandResponse> {
    return this.energy.demand(scope, q);
  }
}
