import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { epochMs } from '../../database/column-transformers';

/** A consumer unit of a distributor: one bill, one tariff, one contracted demand. Devices belong to a site. */
@Entity('sites')
export class Site {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ name: 'client_id', type: 'integer' })
  clientId!: number;

  @Column({ type: 'varchar', length: 200 })
  name!: string;

  @Column({ type: 'varchar', length: 500, nullable: true })
  address!: string | null;

  /** IANA time zone of the site's days; null follows its client's. */
  @Column({ type: 'varchar', length: 64, nullable: true })
  timezone!: string | null;

  /** Contracted demand in kW (group A); verde has one, fora de ponta. */
  @Column({ name: 'contracted_kw_fora_ponta', type: 'double precision', nullable: true })
  contractedKWForaPonta!: number | null;

  @Column({ name: 'contracted_kw_ponta', type: 'double precision', nullable: true })
  contractedKWPonta!: number | null;

  /** Day of the month the distributor reads the meter (the billing cycle ends then). */
  @Column({ name: 'reading_day', type: 'integer', nullable: true })
  readingDay!: number | null;

  /** The meter that measures the site's total, when there is one. */
  @Column({ name: 'main_device_id', type: 'integer', nullable: true })
  mainDeviceId!: number | null;

  @Column({ name: 'created_at', type: 'bigint', transformer: epochMs })
  createdAt!: number;
}
