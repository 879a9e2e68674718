import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import type { AlarmOperator } from '@pieng/shared';
import { epochMs } from '../../database/column-transformers';

/** "Raise an alarm when <metric> <operator> <threshold>" for a client's devices, or one of them. */
@Entity('alarm_rules')
export class AlarmRule {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ name: 'client_id', type: 'integer' })
  clientId!: number;

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
}
