import { hash } from 'node:crypto';

/**
 * SHA-256 of a text, hex. The one-shot hash() is twice as fast as createHash() on short texts,
 * and the audit trail hashes every line twice.
 */
export const sha256 = (text: string): string => hash('sha256', text, 'hex');
