import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { epochMs } from '../../database/column-transformers';
import type { Role } from '../../auth/roles';

/** A person who logs in: platform staff (clientId null) or a user of one client. */
@Entity('users')
export class User {
  @PrimaryGeneratedColumn()
  id!: number;

  /** Always lower-case: one account per address, whatever the capitals. */
  @Column({ type: 'varchar', length: 254 })
  email!: string;

  @Column({ name: 'password_hash', type: 'varchar', length: 200 })
  passwordHash!: string;

  @Column({ type: 'varchar', length: 16 })
  role!: Role;

  @Column({ name: 'client_id', type: 'integer', nullable: true })
  clientId!: number | null;

  @Column({ type: 'boolean', default: true })
  active!: boolean;

  @Column({ name: 'must_change_password', type: 'boolean', default: false })
  mustChangePassword!: boolean;

  @Column({ name: 'created_at', type: 'bigint', transformer: epochMs })
  createdAt!: number;

  @Column({ name: 'last_login_at', type: 'bigint', nullable: true, transformer: epochMs })
  lastLoginAt!: number | null;
}
