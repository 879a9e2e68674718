import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class BaselineCoefficient {
  @ApiProperty({ description: '`intercept`, or the driver as deviceId:metric:transform', example: '7:production:sum' }) name!: string;
  @ApiProperty({ description: 'Fitted value (kWh per unit of the driver; kWh for the intercept)', example: 2 }) value!: number;
  @ApiProperty({ description: 'Standard error of the coefficient', example: 0.05 }) standardError!: number;
}

export class G14Verdict {
  @ApiProperty({
    description: 'Which ASHRAE Guideline 14 limits apply: monthly for month points, hourly (the finer-than-monthly limits) for day and week points',
    enum: ['monthly', 'hourly'],
  })
  criteria!: 'monthly' | 'hourly';
  @ApiProperty({ description: 'CV(RMSE) limit (%)', example: 15 }) cvRmseLimit!: number;
  @ApiProperty({ description: 'NMBE limit (± %)', example: 5 }) nmbeLimit!: number;
  @ApiProperty({ description: 'Whether both figures are within their limits', example: true }) passes!: boolean;
}

export class BaselinePoint {
  @ApiProperty({ description: 'Start of the interval (ISO-8601 UTC)', example: '2026-11-02T00:00:00.000Z' }) start!: string;
  @ApiProperty({ description: 'Measured energy (kWh)', example: 10 }) kWh!: number;
  @ApiProperty({ description: 'Energy the model gives (kWh)', example: 10 }) fittedKWh!: number;
  @ApiProperty({ description: 'The driver values of the interval, in the order of the drivers', type: [Number], example: [1] }) drivers!: number[];
}

export class BaselineFitResponse {
  @ApiProperty({ description: 'Metered device', example: 12 }) deviceId!: number;
  @ApiProperty({ description: 'Width of a point', enum: ['day', 'week', 'month'] }) interval!: string;
  @ApiProperty({ description: 'Points used (intervals with energy and every driver)', example: 4 }) n!: number;
  @ApiProperty({ type: [BaselineCoefficient], description: 'Intercept then one coefficient per driver' }) coefficients!: BaselineCoefficient[];
  @ApiProperty({ description: 'Coefficient of determination', example: 1 }) r2!: number;
  @ApiProperty({ description: 'CV(RMSE) (%) = sqrt(SSE / (n − p)) / mean × 100', example: 0 }) cvRmse!: number;
  @ApiProperty({ description: 'NMBE (%) = Σ(y − ŷ) / ((n − p) · mean) × 100', example: 0 }) nmbe!: number;
  @ApiProperty({ type: G14Verdict, description: 'ASHRAE Guideline 14 acceptance: CV(RMSE) and NMBE against the limits of the interval' }) g14!: G14Verdict;
  @ApiProperty({ type: [BaselinePoint], description: 'Each interval of the fit: actual and modelled energy' }) points!: BaselinePoint[];
}

export class SavedBaseline extends BaselineFitResponse {
  @ApiProperty({ description: 'Baseline id', example: 1 }) id!: number;
  @ApiProperty({ description: 'Name', example: 'Plant 2025' }) name!: string;
  @ApiProperty({ description: 'Start of the fitted period (ISO-8601)', example: '2026-11-02T00:00:00.000Z' }) from!: string;
  @ApiProperty({ description: 'End of the fitted period (ISO-8601)', example: '2026-11-06T00:00:00.000Z' }) to!: string;
  @ApiProperty({ description: 'The drivers as given', example: [{ deviceId: 7, metric: 'production', transform: 'sum' }] }) drivers!: Array<{
    deviceId: number;
    metric: string;
    transform: string;
    base?: number;
  }>;
  @ApiProperty({ description: 'When it was saved (ISO-8601)', example: '2026-11-30T12:00:00.000Z' }) createdAt!: string;
}

export class SavingsPoint {
  @ApiProperty({ description: 'Start of the interval (ISO-8601 UTC)', example: '2026-11-06T00:00:00.000Z' }) start!: string;
  @ApiProperty({ description: 'Energy the baseline expects from the interval drivers (kWh)', example: 18 }) expectedKWh!: number;
  @ApiProperty({ description: 'Measured energy (kWh)', example: 17 }) actualKWh!: number;
  @ApiProperty({ description: 'expected − actual (kWh); positive is energy saved', example: 1 }) savingsKWh!: number;
  @ApiProperty({ description: 'Running sum of the savings (kWh)', example: 1 }) cumulativeKWh!: number;
}

export class SavingsResponse {
  @ApiProperty({ description: 'Baseline id', example: 1 }) baselineId!: number;
  @ApiProperty({ type: [SavingsPoint], description: 'Each interval: expected, actual and cumulative savings' }) points!: SavingsPoint[];
  @ApiProperty({ description: 'Σ expected (kWh)', example: 18 }) expectedKWh!: number;
  @ApiProperty({ description: 'Σ actual (kWh)', example: 17 }) actualKWh!: number;
  @ApiProperty({ description: 'Σ savings (kWh)', example: 1 }) savingsKWh!: number;
}

export class AnomalyHour {
  @ApiProperty({ description: 'Device', example: 12 }) deviceId!: number;
  @ApiProperty({ description: 'Start of the hour (ISO-8601 UTC)', example: '2026-11-20T09:00:00.000Z' }) start!: string;
  @ApiProperty({ description: 'Energy of the hour (kWh)', example: 12.4 }) kWh!: number;
  @ApiProperty({ description: 'Median of the same hour on the last 4 days of the same day type (kWh)', example: 10.35 }) expectedKWh!: number;
  @ApiProperty({ description: 'Median absolute deviation, floored at 1 % of the median (kWh)', example: 0.3 }) mad!: number;
  @ApiProperty({ description: 'z = 0.6745 · (kWh − expected) / MAD', example: 4.61 }) z!: number;
  @ApiProperty({ description: '|z| > 3.5', example: true }) anomaly!: boolean;
  @ApiProperty({ description: 'Lower edge of the expected band: median − 3.5 · MAD / 0.6745 (kWh)', example: 8.79 }) bandLowKWh!: number;
  @ApiProperty({ description: 'Upper edge of the expected band (kWh)', example: 11.91 }) bandHighKWh!: number;
}

export class AnomaliesResponse {
  @ApiProperty({ description: 'The time zone of the day types and hours', example: 'America/Sao_Paulo' }) timezone!: string;
  @ApiProperty({ type: [AnomalyHour], description: 'Scored hours in time order (hours with fewer than 4 earlier days of their type are not scored)' })
  hours!: AnomalyHour[];
  @ApiProperty({ description: 'How many of them are anomalies', example: 1 }) anomalies!: number;
}

export class ForecastPart {
  @ApiProperty({ description: 'Energy measured so far (kWh)', example: 120 }) actualKWh!: number;
  @ApiProperty({ description: 'Energy expected for the rest, adjusted by (1 + s) (kWh)', example: 200 }) remainingKWh!: number;
  @ApiProperty({ description: 'actual + remaining (kWh)', example: 320 }) forecastKWh!: number;
  @ApiProperty({
    description: 'Cost of the forecast at the average price paid so far (R$), when a tariff prices the energy',
    nullable: true,
    type: Number,
    example: 250.5,
  })
  forecastCost!: number | null;
}

export class ForecastResponse {
  @ApiProperty({ description: 'When the forecast is made (ISO-8601)', example: '2026-11-20T15:00:00.000Z' }) at!: string;
  @ApiProperty({ description: 'Time zone of the day and month', example: 'America/Sao_Paulo' }) timezone!: string;
  @ApiProperty({ description: 'Where the expected energy comes from', enum: ['anomalyMedian'] }) method!: string;
  @ApiProperty({ description: 's: the exponentially weighted mean (α = 0.3) of the daily residuals actual / expected − 1', example: 0.033 }) s!: number;
  @ApiProperty({ type: ForecastPart, description: "Today's expected energy and cost" }) today!: ForecastPart;
  @ApiProperty({ type: ForecastPart, description: "This month's expected energy and cost" }) month!: ForecastPart;
  @ApiProperty({
    description: "The forecast's own mean absolute percentage error over the past days it could be made for (%)",
    nullable: true,
    type: Number,
    example: 4.2,
  })
  pastErrorPct!: number | null;
  @ApiProperty({ description: 'How many past days that error is over', example: 12 }) pastErrorDays!: number;
}

export class BandCounts {
  @ApiProperty({ description: '10-minute means in the adequate range', example: 963 }) adequate!: number;
  @ApiProperty({ description: '10-minute means in the precarious range', example: 40 }) precarious!: number;
  @ApiProperty({ description: '10-minute means in the critical range', example: 5 }) critical!: number;
}

export class VoltageWeek {
  @ApiProperty({ description: 'Start of the week of 1,008 ten-minute readings (ISO-8601)', example: '2026-11-02T00:00:00.000Z' }) start!: string;
  @ApiProperty({ description: 'End (exclusive)', example: '2026-11-09T00:00:00.000Z' }) end!: string;
  @ApiProperty({ description: 'Ten-minute windows with a voltage', example: 1008 }) readings!: number;
  @ApiProperty({ description: 'Whether the week holds the 1,008 readings the indices are defined on', example: true }) complete!: boolean;
  @ApiProperty({ description: 'Counts per phase (voltage, or voltageL1..L3)', example: { voltage: { adequate: 1000, precarious: 8, critical: 0 } } })
  byPhase!: Record<string, BandCounts>;
  @ApiProperty({ description: 'Precarious readings of the worst phase', example: 8 }) nlp!: number;
  @ApiProperty({ description: 'Critical readings of the worst phase', example: 0 }) nlc!: number;
  @ApiProperty({ description: 'DRP = nlp / 1008 × 100 (%)', example: 0.79 }) drp!: number;
  @ApiProperty({ description: 'DRC = nlc / 1008 × 100 (%)', example: 0 }) drc!: number;
  @ApiProperty({ description: 'DRP ≤ DRPM (3 %)', example: true }) drpPasses!: boolean;
  @ApiProperty({ description: 'DRC ≤ DRCM (0.5 %)', example: true }) drcPasses!: boolean;
}

export class VoltageReading {
  @ApiProperty({ description: 'Start of the ten-minute window', example: '2026-11-02T00:00:00.000Z' }) start!: string;
  @ApiProperty({ description: 'Phase (metric)', example: 'voltage' }) phase!: string;
  @ApiProperty({ description: 'Mean voltage of the window (V)', example: 196.4 }) voltage!: number;
  @ApiProperty({ description: 'The band the reading falls in', enum: ['precarious', 'critical'] }) band!: string;
}

export class VoltageQualityResponse {
  @ApiProperty({ description: 'Nominal voltage (V)', example: 220 }) nominal!: number;
  @ApiProperty({ description: 'The system(s) the ranges are for', example: '220/127 V and 380/220 V' }) system!: string;
  @ApiProperty({ description: 'Adequate range [low, high] (V)', example: [202, 231] }) adequate!: number[];
  @ApiProperty({ description: 'Precarious outer range [low, high] (V); beyond is critical', example: [191, 233] }) precarious!: number[];
  @ApiProperty({ description: 'Where the ranges come from', example: 'ANEEL PRODIST Módulo 8' }) reference!: string;
  @ApiProperty({ description: 'DRP limit (%)', example: 3 }) drpm!: number;
  @ApiProperty({ description: 'DRC limit (%)', example: 0.5 }) drcm!: number;
  @ApiProperty({ type: BandCounts, description: 'All readings of all phases by band' }) totals!: BandCounts;
  @ApiProperty({ type: [VoltageWeek], description: 'Each week of 1,008 readings: DRP and DRC against DRPM and DRCM' }) weeks!: VoltageWeek[];
  @ApiProperty({ type: [VoltageReading], description: 'Readings outside the adequate range (at most 2,000, earliest first)' }) outside!: VoltageReading[];
}

export class BalanceDay {
  @ApiProperty({ description: 'Start of the day (ISO-8601 UTC)', example: '2026-11-02T03:00:00.000Z' }) start!: string;
  @ApiProperty({ description: 'Main meter (kWh)', nullable: true, type: Number, example: 240 }) mainKWh!: number | null;
  @ApiProperty({ description: 'Sum of the sub-meters (kWh)', example: 180 }) subKWh!: number;
  @ApiProperty({ description: 'main − Σ sub (kWh)', nullable: true, type: Number, example: 60 }) unmeteredKWh!: number | null;
  @ApiProperty({ description: 'unmetered / main × 100 (%)', nullable: true, type: Number, example: 25 }) unmeteredPct!: number | null;
  @ApiProperty({ description: 'Unmetered share above the threshold', example: true }) flagged!: boolean;
}

export class BalanceTotal {
  @ApiProperty({ description: 'Main meter (kWh)', example: 240 }) mainKWh!: number;
  @ApiProperty({ description: 'Sum of the sub-meters (kWh)', example: 180 }) subKWh!: number;
  @ApiProperty({ description: 'main − Σ sub (kWh)', example: 60 }) unmeteredKWh!: number;
  @ApiProperty({ description: 'unmetered / main × 100 (%)', nullable: true, type: Number, example: 25 }) unmeteredPct!: number | null;
}

export class BalanceResponse {
  @ApiProperty({ description: 'Main meter', example: 12 }) mainDeviceId!: number;
  @ApiProperty({ description: 'Sub-meters', type: [Number], example: [13, 14] }) subDeviceIds!: number[];
  @ApiProperty({ description: 'Threshold (%)', example: 10 }) thresholdPct!: number;
  @ApiProperty({ type: [BalanceDay], description: 'Each day: the main meter, the sum of its sub-meters and the unmetered share' }) days!: BalanceDay[];
  @ApiProperty({ type: () => BalanceTotal, description: 'Totals over the period' }) total!: BalanceTotal;
}

export class ExpressionCheckResponse {
  @ApiProperty({ description: 'Always true (a bad expression is a 400 naming the problem and position)', example: true }) valid!: boolean;
  @ApiProperty({ description: 'input.metric pairs the expression reads', example: ['main.power', 'a.power'] }) reads!: string[];
  @ApiPropertyOptional({ description: 'Value with every input at 1 (a quick sanity check)', nullable: true, type: Number, example: -1 }) sample?: number | null;
}
