import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/** What a sealed value starts with; the version names the algorithm and layout below. */
const SEALED_PREFIX = 'enc:v1:';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** A sealed value that does not open: another key, or the value was altered. */
export class SecretUnreadableError extends Error {}

/**
 * Encrypts the secrets the server stores (device credentials now; notification credentials can use
 * the same box) with AES-256-GCM: a random 96-bit IV per value and the 128-bit authentication tag,
 * stored as `enc:v1:<base64url(iv | ciphertext | tag)>`. The `context` (for example
 * `device:<uid>:accessSecret`) is bound into the tag as associated data, so a sealed value copied
 * into another row or field does not open there.
 */
export class SecretBox {
  constructor(private readonly key: Buffer) {
    if (key.length !== 32) throw new Error('the secrets key must be 32 bytes');
  }

  /** True for a value written by seal(); anything else is a value stored before encryption. */
  static isSealed(value: unknown): value is string {
    return typeof value === 'string' && value.startsWith(SEALED_PREFIX);
  }

  seal(plain: string, context: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv, {
      authTagLength: TAG_BYTES,
    });
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return SEALED_PREFIX + Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64url');
  }

  /**
   * The plain value of a sealed one. A value without the prefix was stored before encryption and is
   * returned as it is (the start-up pass seals those). Throws SecretUnreadableError when it does not open.
   */
  open(stored: string, context: string): string {
    if (!SecretBox.isSealed(stored)) return stored;
    const raw = Buffer.from(stored.slice(SEALED_PREFIX.length), 'base64url');
    if (raw.length < IV_BYTES + TAG_BYTES) throw new SecretUnreadableError('the stored value is too short to be a sealed secret');
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, IV_BYTES), { authTagLength: TAG_BYTES });
      decipher.setAAD(Buffer.from(context, 'utf8'));
      decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
      return Buffer.concat([decipher.update(raw.subarray(IV_BYTES, raw.length - TAG_BYTES)), decipher.final()]).toString('utf8');
    } catch {
      throw new SecretUnreadableError('the stored value does not open with this key');
    }
  }
}
