import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { DEVICE_SECRET_FIELDS, mergeSecretFields } from '@pieng/connectors';
import { InvalidInputError } from '../common/domain-errors';
import { Database } from '../database/database.service';
import { SecretBox, SecretUnreadableError } from '../secrets/secret-box';
import type { Device } from './entities/device.entity';

/** Each secret setting as the operator knows it. */
const SECRET_NAMES: Record<string, string> = { accessSecret: 'Tuya secret' };

/**
 * A device secret stored under another key: the device cannot be read until the secret is entered
 * again. A request that keeps it (new settings without the secret) gets a 400 naming the field.
 */
export class StoredSecretUnreadableError extends InvalidInputError {
  constructor(readonly field: string) {
    const message = `the stored ${SECRET_NAMES[field] ?? field} cannot be decrypted: SECRETS_KEY differs from the one it was saved with; enter the secret again`;
    super(message, [{ field: `config.${field}`, message }]);
  }
}

/** The associated data a device secret is sealed with: it opens only in its own device's row and field. */
const contextOf = (uid: string, field: string) => `device:${uid}:${field}`;

/**
 * Device secrets at rest (the Tuya `accessSecret`): sealed in the stored config, opened only to
 * validate a change or to read the device. A Device loaded from the database holds them sealed.
 */
@Injectable()
export class DeviceSecrets implements OnApplicationBootstrap {
  private readonly logger = new Logger('DeviceSecrets');

  constructor(
    private readonly box: SecretBox,
    private readonly db: Database,
  ) {}

  /** The config to store for the device `uid`: `config` is validated and holds its secrets in plain. */
  seal(uid: string, config: Record<string, unknown>): Record<string, unknown> {
    const sealed = { ...config };
    for (const field of DEVICE_SECRET_FIELDS) {
      const value = sealed[field];
      if (typeof value === 'string' && value !== '') sealed[field] = this.box.seal(value, contextOf(uid, field));
    }
    return sealed;
  }

  /** The stored config with its secrets in plain; StoredSecretUnreadableError (naming the field) when one does not open. */
  open(device: Pick<Device, 'uid' | 'config'>): Record<string, unknown> {
    return this.openFields(device, { ...device.config }, DEVICE_SECRET_FIELDS);
  }

  /**
   * New settings for a stored device (an update, or a test read of them): the secrets they leave out
   * are the stored ones (the client never saw them, so it cannot send them back), opened. A stored
   * secret that does not open matters only when it is kept: entering a new one replaces it.
   */
  keepStoredSecrets(device: Pick<Device, 'uid' | 'config'>, update: Record<string, unknown>): Record<string, unknown> {
    const merged = mergeSecretFields(device.config, update) as Record<string, unknown>;
    return this.openFields(
      device,
      merged,
      DEVICE_SECRET_FIELDS.filter((field) => merged[field] !== update[field]),
    );
  }

  private openFields(device: Pick<Device, 'uid'>, config: Record<string, unknown>, fields: readonly string[]): Record<string, unknown> {
    for (const field of fields) {
      const value = config[field];
      if (typeof value !== 'string') continue;
      try {
        config[field] = this.box.open(value, contextOf(device.uid, field));
      } catch (err) {
        if (err instanceof SecretUnreadableError) throw new StoredSecretUnreadableError(field);
        throw err;
      }
    }
    return config;
  }

  async onApplicationBootstrap(): Promise<void> {
    const { sealed, unreadable } = await this.sealPlainSecrets();
    if (sealed.length) this.logger.log(`Encrypted the stored secrets of ${sealed.length} device(s) (${sealed.join(', ')}) with the secrets key`);
    if (unreadable.length) {
      this.logger.warn(
        `The stored secrets of ${unreadable.length} device(s) (${unreadable.slice(0, 20).join(', ')}) cannot be decrypted: SECRETS_KEY differs from the one they were saved with. ` +
          'Those devices are not read until their secret is entered again (or the key they were saved with is restored).',
      );
    }
  }

  /**
   * Seals the secrets stored in plain (rows written before encryption, or a restored old backup).
   * Runs at every start, in the application rather than a migration because migrations do not see
   * the key; idempotent, and each row is rewritten only if unchanged since it was read, so several
   * instances starting at once, or a device saved meanwhile, lose nothing. Also returns the devices
   * whose sealed secrets do not open with this key.
   */
  async sealPlainSecrets(): Promise<{ sealed: number[]; unreadable: number[] }> {
    const rows = await this.db.query<{ id: number; uid: string; config: string }>(
      `SELECT id, uid, config FROM devices WHERE ${DEVICE_SECRET_FIELDS.map(() => 'config LIKE ?').join(' OR ')} ORDER BY id`,
      DEVICE_SECRET_FIELDS.map((field) => `%"${field}":%`),
    );
    const sealed: number[] = [];
    const unreadable: number[] = [];
    const updates: Array<{ id: number; before: string; after: string }> = [];
    for (const row of rows) {
      const id = Number(row.id);
      let config: Record<string, unknown>;
      try {
        config = JSON.parse(row.config);
      } catch {
        continue; // not JSON: polling reports the device's config as invalid
      }
      const plain = DEVICE_SECRET_FIELDS.filter((field) => typeof config[field] === 'string' && config[field] !== '' && !SecretBox.isSealed(config[field]));
      try {
        this.open({ uid: row.uid, config });
      } catch (err) {
        if (!(err instanceof StoredSecretUnreadableError)) throw err;
        unreadable.push(id);
      }
      if (plain.length === 0) continue;
      const next = { ...config };
      for (const field of plain) next[field] = this.box.seal(config[field] as string, contextOf(row.uid, field));
      updates.push({ id, before: row.config, after: JSON.stringify(next) });
    }
    if (updates.length) {
      await this.db.transaction(async (m) => {
        for (const u of updates) {
          if ((await this.db.execute('UPDATE devices SET config = ? WHERE id = ? AND config = ?', [u.after, u.id, u.before], m)) > 0) sealed.push(u.id);
        }
      });
    }
    return { sealed, unreadable };
  }
}
