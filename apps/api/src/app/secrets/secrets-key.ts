import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { readOrCreatePrivateFile } from '../common/private-files';
import { ConfigurationError, parseSecretsKey, SECRETS_KEY_FORMAT, type AppConfig } from '../config/app-config';

/** The file in DATA_DIR that holds the generated key when SECRETS_KEY is not set (SQLite only). */
export const SECRETS_KEY_FILE = 'secrets-key';

/**
 * The key stored secrets are encrypted with: SECRETS_KEY, or on SQLite one generated on first start
 * into DATA_DIR/secrets-key (mode 0600) and reused after. PostgreSQL needs SECRETS_KEY (checked with
 * the rest of the configuration): every instance on the database must encrypt with the same key,
 * and each has a DATA_DIR of its own.
 */
export function resolveSecretsKey(config: Pick<AppConfig, 'dataDir' | 'secretsKey' | 'database'>): Buffer {
  if (config.secretsKey) return config.secretsKey;
  if (config.database.type === 'postgres') throw new ConfigurationError('Invalid configuration:\n  SECRETS_KEY is required with PostgreSQL');
  const file = join(config.dataDir, SECRETS_KEY_FILE);
  const key = parseSecretsKey(readOrCreatePrivateFile(file, () => randomBytes(32).toString('base64')));
  if (!key)
    throw new ConfigurationError(
      `Invalid configuration:\n  ${file} does not hold a secrets key: it must be ${SECRETS_KEY_FORMAT}; restore it from your backup, or set SECRETS_KEY`,
    );
  return key;
}
