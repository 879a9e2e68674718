import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import type { AlarmOperator, AlarmRuleType, AlarmSeverity } from '@pieng/shared';
import { epochMs } from '../../database/column-transformers';

/** Stored as JSON text (both engines); TypeORM also hands back what it wrote, already an array. */
const channelIdsColumn = {
  to: (v?: number[]) => (v === undefined ? undefined : JSON.stringify(v)),
  from: (v: unknown): number[] => (Array.isArray(v) ? v : typeof v === 'string' && v.startsWith('[') ? (JSON.parse(v) as number[]) : []),
};

/**
 * "Raise an alarm when <metric> <operator> <threshold>" (or a device falls silent, a value changes too
 * fast, an energy counter goes backwards) for a client's devices, or one of them. Offline rules watch
 * no metric (stored as ''). Platform rules (disk space, failed backup, forwarding stuck) have no
 * client, no device and no metric.
 */
@Entity('alarm_rules')
export class AlarmRule {
  @PrimaryGeneratedColumn()
  id!: number;

  /** null: a platform rule (PLATFORM_ALARM_TYPES), platform staff's, watching the server rather than a device. */
  @Column({ name: 'client_id', type: 'integer', nullable: true })
  clientId!: number | null;

  /** null: the rule applies to every device of the client. */
  @Column({ name: 'device_id', type: 'integer', nullable: true })
  deviceId!: number | null;

  @Column({ type: 'varchar', length: 200 })
  name!: string;

  @Column({ type: 'varchar', length: 64 })
  metric!: string;

  @Column({ type: 'varchar', length: 2 })
  operator!: AlarmOperator;

  @Column({ type: 'double precision' })
  threshold!: number;

  @Column({ type: 'boolean', default: true })
  enabled!: boolean;

  @Column({ name: 'created_at', type: 'bigint', transformer: epochMs })
  createdAt!: number;

  @Column({ type: 'varchar', length: 16, default: 'threshold' })
  type!: AlarmRuleType;

  @Column({ type: 'varchar', length: 8, default: 'major' })
  severity!: AlarmSeverity;

  @Column({ type: 'double precision', default: 0 })
  deadband!: number;

  @Column({ name: 'on_delay_sec', type: 'integer', default: 0 })
  onDelaySec!: number;

  @Column({ name: 'off_delay_sec', type: 'integer', default: 0 })
  offDelaySec!: number;

  @Column({ type: 'boolean', default: false })
  latch!: boolean;

  @Column({ name: 're_alarm_sec', type: 'integer', nullable: true })
  reAlarmSec!: number | null;

  @Column({ name: 'stale_after_sec', type: 'integer', nullable: true })
  staleAfterSec!: number | null;

  /** Notification channel ids, as a JSON array (the channels live in the notifications module). */
  @Column({ name: 'channel_ids', type: 'text', default: '[]', transformer: channelIdsColumn })
  channelIds!: number[];

  @Column({ name: 'escalation_channel_id', type: 'integer', nullable: true })
  escalationChannelId!: number | null;

  @Column({ name: 'escalate_after_min', type: 'integer', nullable: true })
  escalateAfterMin!: number | null;
}
