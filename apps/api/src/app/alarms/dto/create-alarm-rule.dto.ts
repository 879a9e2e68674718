import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsIn, IsNotEmpty, IsNumber, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { ALARM_OPERATORS, AlarmOperator, METRIC_NAME_PATTERN } from '@pieng/shared';
import { IsRowId } from '../../common/id-param';

export class CreateAlarmRuleDto {
  @ApiProperty({ description: 'The client whose devices the rule watches', example: 1 })
  @IsRowId()
  clientId!: number;

  @ApiPropertyOptional({ description: "One device of the client; omit to watch all the client's devices", example: 1, nullable: true, type: Number })
  @IsOptional()
  @IsRowId()
  deviceId?: number | null;

  @ApiProperty({ description: 'A name the staff recognise', example: 'Overvoltage' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  name!: string;

  @ApiProperty({ description: 'The metric the rule looks at', example: 'voltage' })
  @IsString()
  @Matches(METRIC_NAME_PATTERN, { message: 'metric must be a metric name such as voltage or powerL1' })
  metric!: string;

  @ApiProperty({ description: 'Raise when `value <operator> threshold` holds', enum: ALARM_OPERATORS, example: '>' })
  @IsIn(ALARM_OPERATORS)
  operator!: AlarmOperator;

  @ApiProperty({ description: "The threshold, in the metric's canonical unit", example: 242 })
  @IsNumber({ allowNaN: false, allowInfinity: false })
  threshold!: number;

  @ApiPropertyOptional({ description: 'Disabled rules are not evaluated', default: true })
  @IsOptional()
  @IsBoolean()
  enabled?: boolean;
}
