import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { readOrCreatePrivateFile } from '../common/private-files';

/** The file in DATA_DIR that holds the generated key when SECRETS_KEY is not set (SQLite only). */
export const SECRETS_KEY_FILE = 'secrets-key';

/** 32 bytes as 64 hex characters, or as base64 (43 characters and an optional `=`; URL-safe letters allowed). */
export const SECRETS_KEY_PATTERN = /^\s*([0-9a-fA-F]{64}|[A-Za-z0-9+/_-]{43}=?)\s*$/;

export const SECRETS_KEY_FORMAT = '32 random bytes written as 64 hex characters or in base64 (generate one with: openssl rand -base64 32)';

/** The key's 32 bytes, or undefined when the text is not a key in either form. */
export function parseSecretsKey(text: string): Buffer | undefined {
  const match = SECRETS_KEY_PATTERN.exec(text);
  if (!match) return undefined;
  const key = match[1].length === 64 ? Buffer.from(match[1], 'hex') : Buffer.from(match[1], 'base64');
  return key.length === 32 ? key : undefined;
}

/**
 * The key stored secrets are encrypted with: SECRETS_KEY, or on SQLite one generated on first start
 * into DATA_DIR/secrets-key (mode 0600) and reused after. PostgreSQL needs SECRETS_KEY (checked with
 * the rest of the configuration): every instance on the database must encrypt with the same key,
 * and each has a DATA_DIR of its own.
 */
export function resolveSecretsKey(config: { dataDir: string; secretsKey?: Buffer; database: { type: string } }): Buffer {
  if (config.secretsKey) return config.secretsKey;
  if (config.database.type === 'postgres') throw new Error('SECRETS_KEY is required with PostgreSQL');
  const file = join(config.dataDir, SECRETS_KEY_FILE);
  const key = parseSecretsKey(readOrCreatePrivateFile(file, () => randomBytes(32).toString('base64')));
  if (!key) throw new Error(`${file} does not hold a secrets key (${SECRETS_KEY_FORMAT}); restore it from your backup, or set SECRETS_KEY`);
  return key;
}
