import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class MeasurementItem {
  @ApiProperty({ description: 'Device id' }) deviceId!: number;
  @ApiProperty({ description: 'Metric name' }) metric!: string;
  @ApiProperty({ description: 'Time of the reading (ISO-8601 UTC)' }) ts!: string;
  @ApiProperty({ description: "Value in the metric's canonical unit" }) value!: number;
  @ApiProperty({ description: 'Where the reading came from (modbus-rtu, modbus-tcp, tuya, api, forward, mqtt, simulator, demo)' }) source!: string;
}

export class MeasurementPage {
  @ApiProperty({ type: [MeasurementItem], description: 'Values in time order' }) items!: MeasurementItem[];
  @ApiProperty({ description: 'Pass as cursor for the next page; null on the last page', nullable: true, type: String }) nextCursor!: string | null;
}

export class SeriesPoint {
  @ApiProperty({ description: 'Start of the bucket (ISO-8601 UTC), aligned to the bucket width (days: local midnight)' }) t!: string;
  @ApiProperty({ description: 'Average of the bucket' }) avg!: number;
  @ApiProperty({ description: 'Minimum of the bucket' }) min!: number;
  @ApiProperty({ description: 'Maximum of the bucket' }) max!: number;
  @ApiProperty({ description: 'Values in the bucket' }) count!: number;
}

export class MetricSeries {
  @ApiProperty({ description: 'Metric name' }) metric!: string;
  @ApiProperty({ description: 'Canonical unit, empty when dimensionless or unknown' }) unit!: string;
  @ApiProperty({ type: [SeriesPoint], description: 'Buckets that hold values, in time order' }) points!: SeriesPoint[];
}

export class SeriesResponse {
  @ApiProperty({ description: 'Start of the period' }) from!: string;
  @ApiProperty({ description: 'End of the period' }) to!: string;
  @ApiProperty({ description: 'Width of a bucket in milliseconds (a day bucket is nominally 86400000; it follows the local clock of the time zone)' })
  bucketMs!: number;
  @ApiProperty({ description: 'Where the values came from: raw readings, or the 1-minute, 15-minute or hourly rollups', enum: ['raw', '1m', '15m', '1h'] })
  resolution!: 'raw' | '1m' | '15m' | '1h';
  @ApiProperty({ description: "The client's time zone, in which day buckets start at midnight", example: 'America/Sao_Paulo' }) timezone!: string;
  @ApiProperty({ type: [MetricSeries], description: 'One series per metric asked for' }) series!: MetricSeries[];
  @ApiPropertyOptional({
    description: "`virtual` for a virtual meter: each bucket is its expression over its inputs' bucket means, computed on each query and never stored",
    enum: ['virtual'],
  })
  source?: 'virtual';
}

export class SixSigmaResponse {
  @ApiProperty({ description: 'Mean μ', nullable: true, type: Number }) mean!: number | null;
  @ApiProperty({ description: 'Sample standard deviation σ (n − 1)', nullable: true, type: Number }) std!: number | null;
  @ApiProperty({ description: 'Lower specification limit used', nullable: true, type: Number }) lsl!: number | null;
  @ApiProperty({ description: 'Upper specification limit used', nullable: true, type: Number }) usl!: number | null;
  @ApiProperty({ description: 'Cp = (USL − LSL) / 6σ', nullable: true, type: Number }) cp!: number | null;
  @ApiProperty({ description: 'Cpk = min(USL − μ, μ − LSL) / 3σ', nullable: true, type: Number }) cpk!: number | null;
  @ApiProperty({ description: 'true when no limits were given and mean ± 3σ was used (then Cp = Cpk = 1 by construction)' }) defaultLimits!: boolean;
}

export class SummaryResponse {
  @ApiProperty({ description: 'Values in the period' }) count!: number;
  @ApiProperty({ description: 'Mean', nullable: true, type: Number }) mean!: number | null;
  @ApiProperty({ description: 'Sample standard deviation (divides by n − 1); null below 2 values', nullable: true, type: Number }) std!: number | null;
  @ApiProperty({ description: 'Minimum', nullable: true, type: Number }) min!: number | null;
  @ApiProperty({ description: 'Maximum', nullable: true, type: Number }) max!: number | null;
  @ApiProperty({ type: SixSigmaResponse, description: 'Process capability against the limits given (or mean ± 3σ)' }) sixSigma!: SixSigmaResponse;
  @ApiPropertyOptional({
    description: "`virtual` for a virtual meter: the statistics of its expression over its inputs' 1-minute buckets (count = buckets)",
    enum: ['virtual'],
  })
  source?: 'virtual';
}

export class LinregResponse {
  @ApiProperty({ description: 'Paired points used' }) n!: number;
  @ApiProperty({ description: 'Slope (y units per x unit; per second when x is time)' }) slope!: number;
  @ApiProperty({ description: 'Intercept (y at x = 0; when x is time, at the Unix epoch)' }) intercept!: number;
  @ApiProperty({ description: 'Coefficient of determination r²' }) r2!: number;
}
