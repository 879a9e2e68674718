import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import type { AlarmSeverity } from '@pieng/shared';
import { epochMs } from '../../database/column-transformers';

/** One episode of a rule's condition holding on one device: raised, then cleared when a reading no longer meets it. */
@Entity('alarm_events')
export class AlarmEvent {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ name: 'rule_id', type: 'integer' })
  ruleId!: number;

  /** null: the event of a platform rule. */
  @Column({ name: 'device_id', type: 'integer', nullable: true })
  deviceId!: number | null;

  @Column({ type: 'varchar', length: 64 })
  metric!: string;

  /** The reading's value that raised the alarm. */
  @Column({ type: 'double precision' })
  value!: number;

  @Column({ name: 'raised_at', type: 'bigint', transformer: epochMs })
  raisedAt!: number;

  @Column({ name: 'cleared_at', type: 'bigint', nullable: true, transformer: epochMs })
  clearedAt!: number | null;

  @Column({ type: 'boolean', default: false })
  acknowledged!: boolean;

  @Column({ name: 'acknowledged_at', type: 'bigint', nullable: true, transformer: epochMs })
  acknowledgedAt!: number | null;

  @Column({ type: 'text', nullable: true })
  details!: string | null;

  @Column({ type: 'varchar', length: 8, default: 'major' })
  severity!: AlarmSeverity;

  @Column({ name: 'acknowledged_by', type: 'varchar', length: 320, nullable: true })
  acknowledgedBy!: string | null;

  @Column({ name: 'ack_comment', type: 'text', nullable: true })
  ackComment!: string | null;

  /** Hidden, its notifications muted, until then (epoch ms). */
  @Column({ name: 'shelved_until', type: 'bigint', nullable: true, transformer: epochMs })
  shelvedUntil!: number | null;

  @Column({ name: 'shelve_reason', type: 'text', nullable: true })
  shelveReason!: string | null;

  /** Raised in a chattering spell (3 raises of its rule on its device within 60 s): muted until quiet for 5 minutes. */
  @Column({ type: 'boolean', default: false })
  chattering!: boolean;

  /** The condition has cleared but the rule latches: active until acknowledged. */
  @Column({ type: 'boolean', default: false })
  latched!: boolean;
}
