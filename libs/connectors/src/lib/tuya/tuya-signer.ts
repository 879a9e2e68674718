import { createHash, createHmac } from 'node:crypto';

/** SHA-256 of an empty body, the value every GET request signs. */
export const EMPTY_BODY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

export interface TuyaSignInput {
  clientId: string;
  secret: string;
  /** Absent for token requests (GET /v1.0/token...), present for business requests. */
  accessToken?: string;
  /** 13-digit epoch milliseconds, as a string. */
  t: string;
  nonce?: string;
  method: string;
  path: string;
  query?: Record<string, string | number>;
  body?: string;
  /** Headers named in `Signature-Headers`, in that order (usually none). */
  signedHeaders?: ReadonlyArray<[string, string]>;
}

/** Path plus query sorted by key, NOT URL-encoded (that is what Tuya signs). */
export function tuyaSignedUrl(path: string, query: Record<string, string | number> = {}): string {
  const keys = Object.keys(query).sort();
  if (keys.length === 0) return path;
  return `${path}?${keys.map((key) => `${key}=${query[key]}`).join('&')}`;
}

/** METHOD \n SHA256hex(body) \n headers \n url */
export function tuyaStringToSign(input: Pick<TuyaSignInput, 'method' | 'path' | 'query' | 'body' | 'signedHeaders'>): string {
  const bodyHash = createHash('sha256')
    .update(input.body ?? '', 'utf8')
    .digest('hex');
  const headers = (input.signedHeaders ?? []).map(([key, value]) => `${key}:${value}\n`).join('');
  return `${input.method.toUpperCase()}\n${bodyHash}\n${headers}\n${tuyaSignedUrl(input.path, input.query)}`;
}

/**
 * The current (post-2021) Tuya signature: HMAC-SHA256 in upper-case hex over
 * client_id [+ access_token] + t + nonce + stringToSign. `@tuyapi/openapi` still signs the
 * pre-2021 way (client_id + t only), which newer cloud projects reject.
 */
export function signTuyaRequest(input: TuyaSignInput): { sign: string; stringToSign: string } {
  const stringToSign = tuyaStringToSign(input);
  const message = input.clientId + (input.accessToken ?? '') + input.t + (input.nonce ?? '') + stringToSign;
  const sign = createHmac('sha256', input.secret).update(message, 'utf8').digest('hex').toUpperCase();
  return { sign, stringToSign };
}
