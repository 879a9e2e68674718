import type { Language } from '@pieng/shared';
import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { epochMs } from '../../database/column-transformers';

/** A customer of the plant operator (the tenant): it owns devices and alarm rules. */
@Entity('clients')
export class Client {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ type: 'varchar', length: 200 })
  name!: string;

  /** The client's identifier in other systems (and across master/slave instances). */
  @Column({ name: 'external_id', type: 'varchar', length: 200, nullable: true })
  externalId!: string | null;

  /** IANA time zone of the client's days; null follows PLANT_TIMEZONE. */
  @Column({ type: 'varchar', length: 64, nullable: true })
  timezone!: string | null;

  /** Language of the client's notifications (e-mail, Telegram, SMS): en or pt-BR. */
  @Column({ type: 'varchar', length: 8, default: 'en' })
  language!: Language;

  @Column({ name: 'created_at', type: 'bigint', transformer: epochMs })
  createdAt!: number;

  /** The client's own retention in days per resolution (platform staff set it); null: the platform's default. */
  @Column({ name: 'retention_raw_days', type: 'integer', nullable: true })
  retentionRawDays!: number | null;

  @Column({ name: 'retention_1m_days', type: 'integer', nullable: true })
  retentionOneMinuteDays!: number | null;

  @Column({ name: 'retention_15m_days', type: 'integer', nullable: true })
  retentionFifteenMinuteDays!: number | null;

  @Column({ name: 'retention_1h_days', type: 'integer', nullable: true })
  retentionOneHourDays!: number | null;

  /** Set by platform staff: the client's mqtt devices must have topics under it; null: any topic. */
  @Column({ name: 'mqtt_topic_prefix', type: 'varchar', length: 200, nullable: true })
  mqttTopicPrefix!: string | null;
}
