import { ApiProperty } from '@nestjs/swagger';
import { ALARM_RULE_TYPES, ALARM_SEVERITIES, AlarmRuleType, AlarmSeverity, metricUnit } from '@pieng/shared';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
const flag = (v: unknown) => v === true || Number(v) === 1;
/** The unit of an event's value where it is not its metric's. */
const EVENT_UNITS: Partial<Record<AlarmRuleType, string | null>> = { offline: 's', diskSpace: 'MB', forwardingStuck: 'min', backupFailed: null };

export class AlarmEventResponse {
  @ApiProperty({ description: 'Event id', example: 7 }) id!: number;
  @ApiProperty({ description: 'The rule that raised it', example: 1 }) ruleId!: number;
  @ApiProperty({ description: 'The rule’s name', example: 'Overvoltage' }) ruleName!: string;
  @ApiProperty({ description: 'What its rule watches', enum: ALARM_RULE_TYPES, example: 'threshold' }) ruleType!: AlarmRuleType;
  @ApiProperty({ description: 'Device whose reading raised it; null for a platform alarm', nullable: true, type: Number, example: 1 }) deviceId!: number | null;
  @ApiProperty({ description: 'Metric (empty for offline and platform alarms)', example: 'voltage' }) metric!: string;
  @ApiProperty({
    description: 'The value that raised it (offline: seconds since the last reading; diskSpace: MB free; forwardingStuck: minutes; backupFailed: 1)',
    example: 245.5,
  })
  value!: number;
  @ApiProperty({
    description: 'The unit of the value (known metrics; s for offline, MB for diskSpace, min for forwardingStuck)',
    nullable: true,
    type: String,
    example: 'V',
  })
  unit!: string | null;
  @ApiProperty({ description: 'Severity of its rule when it was raised', enum: ALARM_SEVERITIES, example: 'major' }) severity!: AlarmSeverity;
  @ApiProperty({ description: 'Time of the reading that raised it (ISO-8601 UTC)', example: '2026-11-30T08:00:01.000Z' }) raisedAt!: string;
  @ApiProperty({ description: 'Time it cleared', nullable: true, type: String, example: null }) clearedAt!: string | null;
  @ApiProperty({ description: 'Whether it is still active (not cleared)', example: true }) active!: boolean;
  @ApiProperty({ description: 'Active only because its rule latches: the condition has cleared, an acknowledgement clears it', example: false })
  latched!: boolean;
  @ApiProperty({ description: 'Whether someone acknowledged it', example: false }) acknowledged!: boolean;
  @ApiProperty({ description: 'When it was acknowledged', nullable: true, type: String, example: null }) acknowledgedAt!: string | null;
  @ApiProperty({ description: 'Who acknowledged it', nullable: true, type: String, example: 'ops@plant.local' }) acknowledgedBy!: string | null;
  @ApiProperty({ description: 'The comment given on acknowledging', nullable: true, type: String, example: 'Tap changer checked' }) comment!: string | null;
  @ApiProperty({ description: 'Hidden and muted until then', nullable: true, type: String, example: null }) shelvedUntil!: string | null;
  @ApiProperty({ description: 'Why it was shelved', nullable: true, type: String, example: null }) shelveReason!: string | null;
  @ApiProperty({ description: 'Raised while its rule chattered on the device (3 raises in 60 s): notifications muted until 5 quiet minutes', example: false })
  chattering!: boolean;
  @ApiProperty({ description: 'What happened, in words', nullable: true, type: String, example: 'Overvoltage: voltage 245.5 > 242' }) details!: string | null;

  static fromRow(r: Record<string, unknown>, now = Date.now()): AlarmEventResponse {
    const n = (v: unknown) => (v === null || v === undefined ? null : Number(v));
    const clearedAt = n(r['cleared_at']);
    const shelvedUntil = n(r['shelved_until']);
    const metric = String(r['metric']);
    const ruleType = ((r['rule_type'] as AlarmRuleType | undefined) ?? (metric === '' ? 'offline' : 'threshold')) as AlarmRuleType;
    return {
      id: Number(r['id']),
      ruleId: Number(r['rule_id']),
      ruleName: String(r['rule_name']),
      ruleType,
      deviceId: n(r['device_id']),
      metric,
      value: Number(r['value']),
      unit: EVENT_UNITS[ruleType] !== undefined ? (EVENT_UNITS[ruleType] as string | null) : (metricUnit(metric) ?? null),
      severity: (r['severity'] as AlarmSeverity) ?? 'major',
      raisedAt: iso(Number(r['raised_at'])) as string,
      clearedAt: iso(clearedAt),
      active: clearedAt === null,
      latched: flag(r['latched']),
      acknowledged: flag(r['acknowledged']),
      acknowledgedAt: iso(n(r['acknowledged_at'])),
      acknowledgedBy: (r['acknowledged_by'] as string | null) ?? null,
      comment: (r['ack_comment'] as string | null) ?? null,
      shelvedUntil: shelvedUntil !== null && shelvedUntil > now ? iso(shelvedUntil) : null,
      shelveReason: shelvedUntil !== null && shelvedUntil > now ? ((r['shelve_reason'] as string | null) ?? null) : null,
      chattering: flag(r['chattering']),
      details: (r['details'] as string | null) ?? null,
    };
  }
}
