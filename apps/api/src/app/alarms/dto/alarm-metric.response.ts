import { ApiProperty } from '@nestjs/swagger';

/** A metric a rule may watch, with its unit, for the console's rule form. */
export class AlarmMetricResponse {
  @ApiProperty({ description: 'Metric name', example: 'voltage' }) metric!: string;
  @ApiProperty({ description: 'Canonical unit (empty when unknown or dimensionless)', example: 'V' }) unit!: string;
  @ApiProperty({ description: 'Label (known metrics), else the name', example: 'Voltage' }) label!: string;
  @ApiProperty({ description: 'Whether the device (or a device of the client) has reported it', example: true }) reported!: boolean;
}
