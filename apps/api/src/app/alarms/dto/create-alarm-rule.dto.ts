import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsNotEmpty,
  IsNumber,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateIf,
} from 'class-validator';
import {
  ALARM_OPERATORS,
  ALARM_RULE_TYPES,
  ALARM_SEVERITIES,
  AlarmOperator,
  AlarmRuleType,
  AlarmSeverity,
  isPlatformAlarmType,
  METRIC_NAME_PATTERN,
} from '@pieng/shared';
import { IsRowId, MAX_ROW_ID } from '../../common/id-param';

/** A day: the longest delay, re-alarm or staleness a rule may ask for. */
export const MAX_ALARM_SECONDS = 86_400;

export class CreateAlarmRuleDto {
  @ApiPropertyOptional({
    description:
      'The client whose devices the rule watches; required, except for a platform rule (diskSpace, backupFailed, forwardingStuck), which belongs to no client (leave it out)',
    example: 1,
    nullable: true,
    type: Number,
  })
  @ValidateIf((o: CreateAlarmRuleDto) => !isPlatformAlarmType(o.type) || (o.clientId !== undefined && o.clientId !== null))
  @IsRowId()
  clientId?: number | null;

  @ApiPropertyOptional({ description: "One device of the client; omit to watch all the client's devices", example: 1, nullable: true, type: Number })
  @IsOptional()
  @IsRowId()
  deviceId?: number | null;

  @ApiProperty({ description: 'A name the staff recognise', example: 'Overvoltage' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  name!: string;

  @ApiPropertyOptional({
    description:
      'What the rule watches: threshold (metric against threshold), offline (no reading for staleAfterSec), rateOfChange (change of the metric per minute against threshold), counterReset (an energy counter went backwards). Platform rules (platform staff only; no client, device or metric): diskSpace (MB free in the data directory below threshold), backupFailed (the last scheduled backup failed; SQLite only), forwardingStuck (the oldest reading to forward waiting threshold minutes or more)',
    enum: ALARM_RULE_TYPES,
    default: 'threshold',
    example: 'threshold',
  })
  @IsOptional()
  @IsIn(ALARM_RULE_TYPES)
  type?: AlarmRuleType;

  @ApiPropertyOptional({
    description: 'The metric the rule looks at: one the device (or a device of the client) reports, or a known metric name. Not used by offline rules.',
    example: 'voltage',
  })
  @ValidateIf((o: CreateAlarmRuleDto) => (o.type !== 'offline' && !isPlatformAlarmType(o.type)) || o.metric !== undefined)
  @IsString()
  @Matches(METRIC_NAME_PATTERN, { message: 'metric must be a metric name such as voltage or powerL1' })
  metric?: string;

  @ApiPropertyOptional({
    description: 'threshold and rateOfChange: raise when `value <operator> threshold` holds (platform rules: fixed by their type, leave it out)',
    enum: ALARM_OPERATORS,
    example: '>',
  })
  @ValidateIf((o: CreateAlarmRuleDto) => o.type === undefined || o.type === 'threshold' || o.type === 'rateOfChange' || o.operator !== undefined)
  @IsIn(ALARM_OPERATORS)
  operator?: AlarmOperator;

  @ApiPropertyOptional({
    description:
      "threshold and rateOfChange: the threshold, in the metric's canonical unit (per minute for rateOfChange); diskSpace: MB free (raises below it); forwardingStuck: minutes (raises at or above it); not for backupFailed",
    example: 242,
  })
  @ValidateIf(
    (o: CreateAlarmRuleDto) =>
      o.type === undefined ||
      o.type === 'threshold' ||
      o.type === 'rateOfChange' ||
      o.type === 'diskSpace' ||
      o.type === 'forwardingStuck' ||
      o.threshold !== undefined,
  )
  @IsNumber({ allowNaN: false, allowInfinity: false })
  threshold?: number;

  @ApiPropertyOptional({ description: 'Disabled rules are not evaluated', default: true })
  @IsOptional()
  @IsBoolean()
  enabled?: boolean;

  @ApiPropertyOptional({ description: 'How urgent its events are', enum: ALARM_SEVERITIES, default: 'major', example: 'critical' })
  @IsOptional()
  @IsIn(ALARM_SEVERITIES)
  severity?: AlarmSeverity;

  @ApiPropertyOptional({
    description:
      'Hysteresis, absolute, in the metric’s unit: an active `>` alarm clears only at or below threshold − deadband (`<`: at or above threshold + deadband)',
    default: 0,
    example: 2,
    minimum: 0,
  })
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  deadband?: number;

  @ApiPropertyOptional({
    description: 'Seconds the condition must hold (on reading times) before the event is raised; 0 = at once',
    default: 0,
    example: 10,
    minimum: 0,
  })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(MAX_ALARM_SECONDS)
  onDelaySec?: number;

  @ApiPropertyOptional({ description: 'Seconds the condition must be clear before the event clears; 0 = at once', default: 0, example: 30, minimum: 0 })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(MAX_ALARM_SECONDS)
  offDelaySec?: number;

  @ApiPropertyOptional({ description: 'The event stays active after its condition clears until someone acknowledges it', default: false, example: false })
  @IsOptional()
  @IsBoolean()
  latch?: boolean;

  @ApiPropertyOptional({
    description: 'An acknowledged event still active becomes unacknowledged again after this many seconds; null or 0 = never',
    nullable: true,
    type: Number,
    example: 3600,
    minimum: 0,
  })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(MAX_ALARM_SECONDS)
  reAlarmSec?: number | null;

  @ApiPropertyOptional({
    description: 'offline rules: seconds without any reading of the device before it is offline',
    nullable: true,
    type: Number,
    example: 300,
    minimum: 1,
  })
  @ValidateIf((o: CreateAlarmRuleDto) => o.type === 'offline' || (o.staleAfterSec !== undefined && o.staleAfterSec !== null))
  @IsInt()
  @Min(1)
  @Max(MAX_ALARM_SECONDS)
  staleAfterSec?: number | null;

  @ApiPropertyOptional({
    description: 'Notification channels told of its transitions (ids of the client’s channels; for a platform rule, platform-wide channels)',
    type: [Number],
    default: [],
    example: [1, 2],
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(20)
  @IsInt({ each: true })
  @Min(1, { each: true })
  @Max(MAX_ROW_ID, { each: true })
  channelIds?: number[];

  @ApiPropertyOptional({
    description: 'A channel told too when an event is still unacknowledged escalateAfterMin minutes after it was raised',
    nullable: true,
    type: Number,
    example: 3,
  })
  @IsOptional()
  @IsRowId()
  escalationChannelId?: number | null;

  @ApiPropertyOptional({ description: 'Minutes before escalation (with escalationChannelId)', nullable: true, type: Number, example: 15, minimum: 1 })
  @ValidateIf(
    (o: CreateAlarmRuleDto) =>
      (o.escalationChannelId !== undefined && o.escalationChannelId !== null) || (o.escalateAfterMin !== undefined && o.escalateAfterMin !== null),
  )
  @IsInt()
  @Min(1)
  @Max(10_080)
  escalateAfterMin?: number | null;
}
