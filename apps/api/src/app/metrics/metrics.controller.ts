import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../common/api-errors.decorator';
import { CallerScope } from '../common/caller-scope.decorator';
import type { ClientScope } from '../common/client-scope';
import { LinregQuery, RawMetricsQuery, SeriesQuery, SummaryQuery } from './dto/metric.queries';
import { LinregResponse, MeasurementPage, SeriesResponse, SummaryResponse } from './dto/metric.responses';
import { MetricsService } from './metrics.service';

@ApiTags('metrics')
@Controller('metrics')
export class MetricsController {
  constructor(private readonly metrics: MetricsService) {}

  @Get()
  @ApiOperation({ summary: 'Stored values of a device, in time order, page by page' })
  @ApiErrors(400, 404, 422, 503)
  @ApiOkResponse({ type: MeasurementPage })
  listMeasurements(@CallerScope() scope: ClientScope, @Query() q: RawMetricsQuery): Promise<MeasurementPage> {
    return this.metrics.raw(scope, q);
  }

  @Get('series')
  @ApiOperation({ summary: 'Time-bucketed series of several metrics, for charts' })
  @ApiErrors(400, 404, 422, 503)
  @ApiOkResponse({ type: SeriesResponse })
  getSeries(@CallerScope() scope: ClientScope, @Query() q: SeriesQuery): Promise<SeriesResponse> {
    return this.metrics.series(scope, q);
  }

  @Get('summary')
  @ApiOperation({
    summary: 'Count, mean, sample standard deviation, min, max and process capability (Cp, Cpk)',
    description:
      'std is the SAMPLE standard deviation (divides by n − 1). Cp = (USL − LSL)/6σ, Cpk = min(USL − μ, μ − LSL)/3σ. ' +
      'Without lsl/usl the limits default to mean ± 3σ, which yields Cp = Cpk = 1 by construction: pass your real limits, for example lsl=198&usl=242 for 220 V ± 10 %.',
  })
  @ApiErrors(400, 404, 422, 503)
  @ApiOkResponse({ type: SummaryResponse })
  getSummary(@CallerScope() scope: ClientScope, @Query() q: SummaryQuery): Promise<SummaryResponse> {
    return this.metrics.summary(scope, q);
  }

  @Get('linreg')
  @ApiOperation({
    summary: 'Least-squares line y = slope·x + intercept and r²; x is time (seconds since the Unix epoch) or another metric paired by timestamp',
  })
  @ApiErrors(400, 404, 422, 503)
  @ApiOkResponse({ type: LinregResponse })
  getLinearRegression(@CallerScope() scope: ClientScope, @Query() q: LinregQuery): Promise<LinregResponse> {
    return this.metrics.linreg(scope, q);
  }
}
