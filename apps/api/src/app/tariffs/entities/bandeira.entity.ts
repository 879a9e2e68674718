import { Column, Entity, PrimaryColumn } from 'typeorm';
import { epochMs } from '../../database/column-transformers';
import type { BandeiraFlag } from '../tariff-terms';

/** The bandeira tarifária of one calendar month (ANEEL sets it for the whole country); a month without a row is verde. */
@Entity('bandeiras')
export class Bandeira {
  /** 'YYYY-MM'. */
  @PrimaryColumn({ type: 'varchar', length: 7 })
  month!: string;

  @Column({ type: 'varchar', length: 20 })
  flag!: BandeiraFlag;

  /** R$ per 100 kWh, before taxes. */
  @Column({ name: 'adder_per_100kwh', type: 'double precision' })
  adderPer100kWh!: number;

  @Column({ name: 'updated_at', type: 'bigint', transformer: epochMs })
  updatedAt!: number;
}
