import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { epochMs } from '../../database/column-transformers';

/**
 * `ingest`: readings of the client's existing devices; `forward`: readings, and devices created on first
 * sight from their uid (a master instance forwarding to this one); `read`: the read (GET) routes.
 */
export const API_KEY_SCOPES = ['ingest', 'forward', 'read'] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];

/** A machine's credential for one client: shown once, stored as its SHA-256. */
@Entity('api_keys')
export class ApiKey {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ name: 'client_id', type: 'integer' })
  clientId!: number;

  @Column({ type: 'varchar', length: 200 })
  name!: string;

  @Column({ type: 'varchar', length: 16 })
  scope!: ApiKeyScope;

  @Column({ name: 'key_hash', type: 'varchar', length: 64 })
  keyHash!: string;

  /** The first characters of the key, so that people can tell their keys apart. */
  @Column({ type: 'varchar', length: 16 })
  prefix!: string;

  @Column({ name: 'created_by', type: 'integer', nullable: true })
  createdBy!: number | null;

  @Column({ name: 'created_at', type: 'bigint', transformer: epochMs })
  createdAt!: number;

  @Column({ name: 'last_used_at', type: 'bigint', nullable: true, transformer: epochMs })
  lastUsedAt!: number | null;

  @Column({ name: 'revoked_at', type: 'bigint', nullable: true, transformer: epochMs })
  revokedAt!: number | null;
}
