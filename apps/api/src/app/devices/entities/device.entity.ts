import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import type { DeviceType } from '@pieng/shared';
import { epochMs } from '../../database/column-transformers';

/** A meter (or an integration that pushes readings) belonging to one client. */
@Entity('devices')
export class Device {
  @PrimaryGeneratedColumn()
  id!: number;

  /** Stable identity across instances (master and slave ids differ; the uid does not). */
  @Column({ type: 'varchar', length: 36 })
  uid!: string;

  @Column({ name: 'client_id', type: 'integer' })
  clientId!: number;

  /** The site (consumer unit) the device measures in; null for devices of a client without sites. */
  @Column({ name: 'site_id', type: 'integer', nullable: true })
  siteId!: number | null;

  /** Measures part of what another meter of its site already measures: left out of the site's total. */
  @Column({ type: 'boolean', default: false })
  submeter!: boolean;

  @Column({ type: 'varchar', length: 200 })
  name!: string;

  @Column({ name: 'device_type', type: 'varchar', length: 20 })
  deviceType!: DeviceType;

  @Column({ type: 'boolean', default: true })
  active!: boolean;

  @Column({ name: 'poll_interval_sec', type: 'integer', default: 30 })
  pollIntervalSec!: number;

  /** Above this implied power (W) a rise of the energy counter is a spike, not energy; null: 200 kW. */
  @Column({ name: 'max_power_w', type: 'double precision', nullable: true })
  maxPowerW!: number | null;

  @Column({ type: 'simple-json' })
  config!: Record<string, unknown>;

  @Column({ name: 'last_seen_at', type: 'bigint', nullable: true, transformer: epochMs })
  lastSeenAt!: number | null;

  /** The last poll error in full, for platform staff. */
  @Column({ name: 'last_error', type: 'text', nullable: true })
  lastError!: string | null;

  /** The last poll error as users of the client see it (see errorForClientUser); null with no error, or one from before it was kept. */
  @Column({ name: 'last_error_for_client', type: 'text', nullable: true })
  lastErrorForClient!: string | null;

  /** A user of the client set the connection settings: every connect is held to the plant-network policy. */
  @Column({ name: 'connection_set_by_client', type: 'boolean', default: false })
  connectionSetByClient!: boolean;

  @Column({ name: 'consecutive_failures', type: 'integer', default: 0 })
  consecutiveFailures!: number;

  @Column({ name: 'created_at', type: 'bigint', transformer: epochMs })
  createdAt!: number;

  /** mqtt devices: the root of the topics the device is read from (unique across the platform); null for other types. */
  @Column({ name: 'mqtt_topic', type: 'varchar', length: 200, nullable: true })
  mqttTopic!: string | null;

  /** mqtt devices: the availability the device last announced (Tasmota LWT and the like); null before any. */
  @Column({ name: 'mqtt_online', type: 'boolean', nullable: true })
  mqttOnline!: boolean | null;

  /** mqtt devices: when the last message of the device came (any, retained ones too). */
  @Column({ name: 'mqtt_last_message_at', type: 'bigint', nullable: true, transformer: epochMs })
  mqttLastMessageAt!: number | null;

  /** mqtt devices: payloads that could not be read (never stored), the last one and why. */
  @Column({ name: 'mqtt_rejected', type: 'integer', default: 0 })
  mqttRejected!: number;

  @Column({ name: 'last_rejected_payload', type: 'text', nullable: true })
  lastRejectedPayload!: string | null;

  @Column({ name: 'last_rejected_reason', type: 'text', nullable: true })
  lastRejectedReason!: string | null;
}
