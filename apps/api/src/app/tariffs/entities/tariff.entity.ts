import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { epochMs } from '../../database/column-transformers';
import type { Modality, TariffTerms, TariffWindow } from '../tariff-terms';

/**
 * One version of a client's or a site's tariff (exactly one of clientId, siteId): it applies from
 * `validFrom` until the next version of the same client or site. A site's versions override its client's.
 */
@Entity('tariffs')
export class Tariff {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ name: 'client_id', type: 'integer', nullable: true })
  clientId!: number | null;

  @Column({ name: 'site_id', type: 'integer', nullable: true })
  siteId!: number | null;

  @Column({ type: 'varchar', length: 200 })
  name!: string;

  @Column({ type: 'varchar', length: 20 })
  modality!: Modality;

  @Column({ type: 'varchar', length: 3 })
  currency!: 'BRL';

  /** Local calendar date 'YYYY-MM-DD' (see TariffTerms.validFrom). */
  @Column({ name: 'valid_from', type: 'varchar', length: 10 })
  validFrom!: string;

  @Column({ type: 'simple-json' })
  energy!: TariffTerms['energy'];

  @Column({ type: 'simple-json' })
  demand!: TariffTerms['demand'];

  @Column({ type: 'simple-json' })
  windows!: TariffWindow[];

  @Column({ type: 'simple-json' })
  holidays!: TariffTerms['holidays'];

  @Column({ type: 'simple-json' })
  taxes!: TariffTerms['taxes'];

  @Column({ name: 'created_at', type: 'bigint', transformer: epochMs })
  createdAt!: number;
}
