import { ApiProperty } from '@nestjs/swagger';
import { ALARM_OPERATORS, ALARM_RULE_TYPES, ALARM_SEVERITIES, AlarmOperator, AlarmRuleType, AlarmSeverity } from '@pieng/shared';
import type { AlarmRule } from '../entities/alarm-rule.entity';

export class AlarmRuleResponse {
  @ApiProperty({ description: 'Rule id', example: 1 }) id!: number;
  @ApiProperty({ description: 'Owning client; null for a platform rule (diskSpace, backupFailed, forwardingStuck)', nullable: true, type: Number, example: 1 })
  clientId!: number | null;
  @ApiProperty({ description: 'The one device watched, or null for all the client’s devices', nullable: true, type: Number, example: 1 }) deviceId!:
    | number
    | null;
  @ApiProperty({ description: 'Rule name', example: 'Overvoltage' }) name!: string;
  @ApiProperty({ description: 'What the rule watches', enum: ALARM_RULE_TYPES, example: 'threshold' }) type!: AlarmRuleType;
  @ApiProperty({ description: 'Metric watched (null for offline and platform rules)', nullable: true, type: String, example: 'voltage' }) metric!:
    | string
    | null;
  @ApiProperty({ description: 'Comparison (threshold, rateOfChange)', enum: ALARM_OPERATORS, example: '>' }) operator!: AlarmOperator;
  @ApiProperty({
    description:
      'Threshold in the metric’s canonical unit (per minute for rateOfChange; MB free for diskSpace, minutes for forwardingStuck, 1 for backupFailed)',
    example: 242,
  })
  threshold!: number;
  @ApiProperty({ description: 'Whether the rule is evaluated', example: true }) enabled!: boolean;
  @ApiProperty({ description: 'How urgent its events are', enum: ALARM_SEVERITIES, example: 'major' }) severity!: AlarmSeverity;
  @ApiProperty({ description: 'Hysteresis (absolute, metric’s unit)', example: 2 }) deadband!: number;
  @ApiProperty({ description: 'Seconds the condition must hold before raising', example: 0 }) onDelaySec!: number;
  @ApiProperty({ description: 'Seconds the condition must be clear before clearing', example: 0 }) offDelaySec!: number;
  @ApiProperty({ description: 'Active until acknowledged even when clear', example: false }) latch!: boolean;
  @ApiProperty({ description: 'Seconds after which an acknowledged, still active event is unacknowledged again', nullable: true, type: Number, example: null })
  reAlarmSec!: number | null;
  @ApiProperty({ description: 'offline: seconds without a reading', nullable: true, type: Number, example: null }) staleAfterSec!: number | null;
  @ApiProperty({ description: 'Notification channels', type: [Number], example: [1] }) channelIds!: number[];
  @ApiProperty({ description: 'Escalation channel', nullable: true, type: Number, example: null }) escalationChannelId!: number | null;
  @ApiProperty({ description: 'Minutes before escalation', nullable: true, type: Number, example: null }) escalateAfterMin!: number | null;
  @ApiProperty({ description: 'Creation time (ISO-8601 UTC)', example: '2026-11-30T08:00:00.000Z' }) createdAt!: string;

  static from(r: AlarmRule): AlarmRuleResponse {
    return {
      id: r.id,
      clientId: r.clientId,
      deviceId: r.deviceId,
      name: r.name,
      type: r.type,
      metric: r.metric === '' ? null : r.metric,
      operator: r.operator,
      threshold: r.threshold,
      enabled: r.enabled,
      severity: r.severity,
      deadband: r.deadband,
      onDelaySec: r.onDelaySec,
      offDelaySec: r.offDelaySec,
      latch: r.latch,
      reAlarmSec: r.reAlarmSec,
      staleAfterSec: r.staleAfterSec,
      channelIds: r.channelIds,
      escalationChannelId: r.escalationChannelId,
      escalateAfterMin: r.escalateAfterMin,
      createdAt: new Date(r.createdAt).toISOString(),
    };
  }
}
