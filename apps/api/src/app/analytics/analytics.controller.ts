import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBody, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../common/api-errors.decorator';
import { CallerScope } from '../common/caller-scope.decorator';
import type { ClientScope } from '../common/client-scope';
import { IdParam } from '../common/id-param';
import { AnalyticsService } from './analytics.service';
import {
  AnomaliesQuery,
  BalanceQuery,
  BaselineListQuery,
  CheckExpressionDto,
  FitBaselineDto,
  ForecastQuery,
  SaveBaselineDto,
  SavingsQuery,
  VoltageQualityQuery,
} from './dto/analytics.requests';
import {
  AnomaliesResponse,
  BalanceResponse,
  BaselineFitResponse,
  ExpressionCheckResponse,
  ForecastResponse,
  SavedBaseline,
  SavingsResponse,
  VoltageQualityResponse,
} from './dto/analytics.responses';
import { VoltageQualityService } from './voltage-quality.service';

@ApiTags('analytics')
@Controller('analytics')
export class AnalyticsController {
  constructor(private readonly analytics: AnalyticsService) {}

  @Post('baseline')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Fit an energy baseline: energy = b0 + Σ bi · driver_i by least squares, with standard errors, R², CV(RMSE), NMBE and the ASHRAE Guideline 14 verdict',
    description:
      'Points are the intervals with energy and every driver. Needs at least coefficients + 2 points; collinear or constant drivers are a 422 naming the driver.',
  })
  @ApiErrors(400, 404, 422)
  @ApiOkResponse({ type: BaselineFitResponse })
  @ApiBody({
    type: FitBaselineDto,
    examples: {
      production: {
        summary: 'Daily kWh against production and cooling degree-days',
        value: {
          deviceId: 12,
          from: '2025-01-01T00:00:00-03:00',
          to: '2026-01-01T00:00:00-03:00',
          interval: 'day',
          drivers: [
            { deviceId: 20, metric: 'count', transform: 'sum' },
            { deviceId: 21, metric: 'temperature', transform: 'cdd', base: 18 },
          ],
        },
      },
    },
  })
  fitBaseline(@CallerScope() scope: ClientScope, @Body() dto: FitBaselineDto): Promise<BaselineFitResponse> {
    return this.analytics.fitBaseline(scope, dto);
  }

  @Post('baselines')
  @ApiOperation({ summary: 'Fit and save a baseline, for expected energy and savings of later periods' })
  @ApiErrors(400, 404, 422)
  @ApiCreatedResponse({ type: SavedBaseline })
  @ApiBody({
    type: SaveBaselineDto,
    examples: {
      production: {
        summary: 'Save the 2025 baseline to measure savings against',
        value: {
          name: 'Plant 2025, production and CDD',
          deviceId: 12,
          from: '2025-01-01T00:00:00-03:00',
          to: '2026-01-01T00:00:00-03:00',
          interval: 'day',
          drivers: [
            { deviceId: 20, metric: 'count', transform: 'sum' },
            { deviceId: 21, metric: 'temperature', transform: 'cdd', base: 18 },
          ],
        },
      },
    },
  })
  saveBaseline(@CallerScope() scope: ClientScope, @Body() dto: SaveBaselineDto): Promise<SavedBaseline> {
    return this.analytics.saveBaseline(scope, dto);
  }

  @Get('baselines')
  @ApiOperation({ summary: 'Saved baselines' })
  @ApiErrors(400)
  @ApiOkResponse({ type: [SavedBaseline] })
  listBaselines(@CallerScope() scope: ClientScope, @Query() q: BaselineListQuery): Promise<SavedBaseline[]> {
    return this.analytics.listBaselines(scope, q);
  }

  @Get('baselines/:id')
  @ApiOperation({ summary: 'One saved baseline' })
  @ApiErrors(400, 404)
  @ApiOkResponse({ type: SavedBaseline })
  getBaseline(@CallerScope() scope: ClientScope, @Param('id', IdParam()) id: number): Promise<SavedBaseline> {
    return this.analytics.getBaseline(scope, id);
  }

  @Delete('baselines/:id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a saved baseline' })
  @ApiErrors(400, 404)
  @ApiNoContentResponse()
  deleteBaseline(@CallerScope() scope: ClientScope, @Param('id', IdParam()) id: number): Promise<void> {
    return this.analytics.deleteBaseline(scope, id);
  }

  @Get('baselines/:id/savings')
  @ApiOperation({ summary: "Expected energy from a saved baseline and the period's drivers, and savings (expected − actual) per interval and cumulative" })
  @ApiErrors(400, 404, 422)
  @ApiOkResponse({ type: SavingsResponse })
  getSavings(@CallerScope() scope: ClientScope, @Param('id', IdParam()) id: number, @Query() q: SavingsQuery): Promise<SavingsResponse> {
    return this.analytics.savings(scope, id, q);
  }

  @Get('anomalies')
  @ApiOperation({
    summary:
      'Hourly consumption scored against the median of the same hour on the last 4 days of the same day type: z = 0.6745 · (x − median) / MAD, |z| > 3.5 an anomaly',
    description: 'Day types: Monday-Friday, Saturday, Sunday and national holidays (Brazil). MAD floored at 1 % of the median. At most 62 days per call.',
  })
  @ApiErrors(400, 404)
  @ApiOkResponse({ type: AnomaliesResponse })
  getAnomalies(@CallerScope() scope: ClientScope, @Query() q: AnomaliesQuery): Promise<AnomaliesResponse> {
    return this.analytics.anomalies(scope, q);
  }

  @Get('forecast')
  @ApiOperation({
    summary: "Today's and this month's energy and cost forecast, with the forecast's own past error",
    description: 'Measured so far + expected remaining hours × (1 + s), s the EWMA (α = 0.3) of daily residuals.',
  })
  @ApiErrors(400, 404)
  @ApiOkResponse({ type: ForecastResponse })
  getForecast(@CallerScope() scope: ClientScope, @Query() q: ForecastQuery): Promise<ForecastResponse> {
    return this.analytics.forecast(scope, q);
  }

  @Get('balance')
  @ApiOperation({ summary: 'Where the energy goes: the main meter against the sum of its sub-meters per day, the unmetered share and days above a threshold' })
  @ApiErrors(400, 404, 422)
  @ApiOkResponse({ type: BalanceResponse })
  getBalance(@CallerScope() scope: ClientScope, @Query() q: BalanceQuery): Promise<BalanceResponse> {
    return this.analytics.balance(scope, q);
  }

  @Post('expressions/check')
  @HttpCode(200)
  @ApiOperation({ summary: 'Check a virtual-meter expression over named inputs (the device form validates with it as one types)' })
  @ApiErrors(400, 404)
  @ApiOkResponse({ type: ExpressionCheckResponse })
  @ApiBody({
    type: CheckExpressionDto,
    examples: {
      unmetered: { summary: 'The unmetered share of a panel', value: { inputs: { main: 12, a: 13, b: 14 }, expression: 'main.power - (a.power + b.power)' } },
    },
  })
  checkExpression(@CallerScope() scope: ClientScope, @Body() dto: CheckExpressionDto): Promise<ExpressionCheckResponse> {
    return this.analytics.checkExpression(scope, dto);
  }
}

@ApiTags('quality')
@Controller('quality')
export class QualityController {
  constructor(private readonly quality: VoltageQualityService) {}

  @Get('voltage')
  @ApiOperation({
    summary: 'PRODIST Módulo 8 voltage conformity: DRP and DRC per week against DRPM 3 % and DRCM 0.5 %',
    description:
      '10-minute mean voltages (per phase) classified as adequate, precarious or critical; DRP and DRC per week of 1,008 readings. Ranges for nominal 127, 220 (220/127 V and 380/220 V systems) and 380 V. Another nominal is a 422. Default period: a week from `from`.',
  })
  @ApiErrors(400, 404, 422)
  @ApiOkResponse({ type: VoltageQualityResponse })
  getVoltageQuality(@CallerScope() scope: ClientScope, @Query() q: VoltageQualityQuery): Promise<VoltageQualityResponse> {
    return this.quality.voltage(scope, q);
  }
}
