import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { readOrCreatePrivateFile } from '../common/private-files';

/**
 * JWT_SECRET from the environment, or one generated on first start into the
 * data directory (mode 0600) and reused after, so that tokens survive restarts.
 */
export function resolveJwtSecret(dataDir: string, fromEnv?: string): string {
  if (fromEnv) return fromEnv;
  return readOrCreatePrivateFile(join(dataDir, 'jwt-secret'), () => randomBytes(48).toString('base64url'));
}
