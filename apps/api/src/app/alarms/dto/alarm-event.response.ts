import { ApiProperty } from '@nestjs/swagger';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export class AlarmEventResponse {
  @ApiProperty({ description: 'Event id' }) id!: number;
  @ApiProperty({ description: 'The rule that raised it' }) ruleId!: number;
  @ApiProperty({ description: 'The rule’s name' }) ruleName!: string;
  @ApiProperty({ description: 'Device whose reading raised it' }) deviceId!: number;
  @ApiProperty({ description: 'Metric' }) metric!: string;
  @ApiProperty({ description: 'The value that raised it' }) value!: number;
  @ApiProperty({ description: 'Time of the reading that raised it (ISO-8601 UTC)' }) raisedAt!: string;
  @ApiProperty({ description: 'Time of the first reading that no longer met the condition', nullable: true, type: String }) clearedAt!: string | null;
  @ApiProperty({ description: 'Whether the condition still holds (not cleared)' }) active!: boolean;
  @ApiProperty({ description: 'Whether someone acknowledged it' }) acknowledged!: boolean;
  @ApiProperty({ description: 'When it was acknowledged', nullable: true, type: String }) acknowledgedAt!: string | null;
  @ApiProperty({ description: 'What happened, in words', nullable: true, type: String }) details!: string | null;

  static fromRow(r: Record<string, unknown>): AlarmEventResponse {
    const n = (v: unknown) => (v === null || v === undefined ? null : Number(v));
    const clearedAt = n(r['cleared_at']);
    return {
      id: Number(r['id']),
      ruleId: Number(r['rule_id']),
      ruleName: String(r['rule_name']),
      deviceId: Number(r['device_id']),
      metric: String(r['metric']),
      value: Number(r['value']),
      raisedAt: iso(Number(r['raised_at'])) as string,
      clearedAt: iso(clearedAt),
      active: clearedAt === null,
      acknowledged: r['acknowledged'] === true || Number(r['acknowledged']) === 1,
      acknowledgedAt: iso(n(r['acknowledged_at'])),
      details: (r['details'] as string | null) ?? null,
    };
  }
}
