import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Standard Webhooks (standardwebhooks.com) signing, the convention Svix, Stripe-style receivers and
 * their libraries verify: the signed content is "<webhook-id>.<webhook-timestamp>.<body>", the
 * signature is HMAC-SHA256 keyed with the bytes of the secret after its `whsec_` prefix (base64),
 * sent as `webhook-signature: v1,<base64>`. Written out here (a dozen lines of node:crypto) rather
 * than pulling the `standardwebhooks` package, whose verify side this must not share with the tests.
 */
export const WEBHOOK_SECRET_PREFIX = 'whsec_';
/** Receivers reject a timestamp further than this from their clock (replays). */
export const WEBHOOK_TOLERANCE_SEC = 5 * 60;

export function newWebhookSecret(): string {
  return WEBHOOK_SECRET_PREFIX + randomBytes(32).toString('base64');
}

export function isWebhookSecret(secret: string): boolean {
  return secret.startsWith(WEBHOOK_SECRET_PREFIX) && Buffer.from(secret.slice(WEBHOOK_SECRET_PREFIX.length), 'base64').length >= 24;
}

export function signWebhook(secret: string, id: string, timestampSec: number, body: string): string {
  const key = Buffer.from(secret.slice(WEBHOOK_SECRET_PREFIX.length), 'base64');
  return 'v1,' + createHmac('sha256', key).update(`${id}.${timestampSec}.${body}`).digest('base64');
}

/** The headers of one signed request. */
export function webhookHeaders(secret: string, id: string, body: string, nowMs = Date.now()): Record<string, string> {
  const timestamp = Math.floor(nowMs / 1000);
  return { 'webhook-id': id, 'webhook-timestamp': String(timestamp), 'webhook-signature': signWebhook(secret, id, timestamp, body) };
}

/** What a receiver does: the timestamp within tolerance and one of the (space-separated) v1 signatures matching. */
export function verifyWebhook(
  secret: string,
  headers: Record<string, string | undefined>,
  body: string,
  nowMs = Date.now(),
): { ok: true } | { ok: false; reason: string } {
  const id = headers['webhook-id'];
  const timestamp = Number(headers['webhook-timestamp']);
  const signatures = headers['webhook-signature'];
  if (!id || !Number.isInteger(timestamp) || !signatures) return { ok: false, reason: 'missing headers' };
  if (Math.abs(nowMs / 1000 - timestamp) > WEBHOOK_TOLERANCE_SEC) return { ok: false, reason: 'timestamp too far from now' };
  const expected = Buffer.from(signWebhook(secret, id, timestamp, body).slice(3), 'base64');
  for (const candidate of signatures.split(' ')) {
    const [version, value] = candidate.split(',', 2);
    if (version !== 'v1' || !value) continue;
    const given = Buffer.from(value, 'base64');
    if (given.length === expected.length && timingSafeEqual(given, expected)) return { ok: true };
  }
  return { ok: false, reason: 'no matching signature' };
}
