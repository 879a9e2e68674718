import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { ReadingSource } from '@pieng/shared';
import { epochMs } from '../../database/column-transformers';

/**
 * One metric of one reading. Keyed (device, metric, ts): a retried batch stores
 * each value once, and a series query walks the key in order. On SQLite the table
 * is WITHOUT ROWID (the key is the table: about half the size of a rowid table plus
 * an index, and faster aggregates; bench/ measures it). Rows are written by
 * IngestService with multi-row statements, never through this entity.
 */
@Entity('measurements')
export class Measurement {
  @PrimaryColumn({ name: 'device_id', type: 'integer' })
  deviceId!: number;

  @PrimaryColumn({ type: 'varchar', length: 64 })
  metric!: string;

  @PrimaryColumn({ type: 'bigint', transformer: epochMs })
  ts!: number;

  @Column({ type: 'double precision' })
  value!: number;

  @Column({ type: 'varchar', length: 16 })
  source!: ReadingSource;
}
