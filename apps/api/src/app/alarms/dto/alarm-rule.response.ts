import { ApiProperty } from '@nestjs/swagger';
import { ALARM_OPERATORS, AlarmOperator } from '@pieng/shared';
import type { AlarmRule } from '../entities/alarm-rule.entity';

export class AlarmRuleResponse {
  @ApiProperty({ description: 'Rule id' }) id!: number;
  @ApiProperty({ description: 'Owning client' }) clientId!: number;
  @ApiProperty({ description: 'The one device watched, or null for all the client’s devices', nullable: true, type: Number }) deviceId!: number | null;
  @ApiProperty({ description: 'Rule name' }) name!: string;
  @ApiProperty({ description: 'Metric watched' }) metric!: string;
  @ApiProperty({ description: 'Comparison', enum: ALARM_OPERATORS }) operator!: AlarmOperator;
  @ApiProperty({ description: 'Threshold in the metric’s canonical unit' }) threshold!: number;
  @ApiProperty({ description: 'Whether the rule is evaluated' }) enabled!: boolean;
  @ApiProperty({ description: 'Creation time (ISO-8601 UTC)' }) createdAt!: string;

  static from(r: AlarmRule): AlarmRuleResponse {
    return { id: r.id, clientId: r.clientId, deviceId: r.deviceId, name: r.name, metric: r.metric, operator: r.operator, threshold: r.threshold, enabled: r.enabled, createdAt: new Date(r.createdAt).toISOString() };
  }
}
