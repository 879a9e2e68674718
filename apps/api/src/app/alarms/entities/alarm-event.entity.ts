import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { epochMs } from '../../database/column-transformers';

/** One episode of a rule's condition holding on one device: raised, then cleared when a reading no longer meets it. */
@Entity('alarm_events')
export class AlarmEvent {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ name: 'rule_id', type: 'integer' })
  ruleId!: number;

  @Column({ name: 'device_id', type: 'integer' })
  deviceId!: number;

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
}
