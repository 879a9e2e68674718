import { randomUUID } from 'node:crypto';
import { FieldBusError } from '../errors';
import { signTuyaRequest, tuyaSignedUrl } from './tuya-signer';

export interface TuyaClientOptions {
  baseUrl: string;
  accessId: string;
  accessSecret: string;
  /** Defaults to Node's global fetch. */
  fetch?: typeof fetch;
  now?: () => number;
  nonce?: () => string;
  timeoutMs?: number;
}

export interface TuyaDataPointValue {
  code: string;
  value: unknown;
}

interface TuyaEnvelope<T> {
  success: boolean;
  result?: T;
  code?: number;
  msg?: string;
  t?: number;
}

interface TuyaTokenResult {
  access_token: string;
  refresh_token: string;
  expire_time: number;
  uid?: string;
}

export const TUYA_CODE_TOKEN_INVALID = 1010;
export const TUYA_CODE_SIGN_INVALID = 1004;
/** Device ids per batch status call. */
export const TUYA_BATCH_LIMIT = 20;
/** Refresh this long before the token's stated expiry (clock skew, request time). */
const TOKEN_SAFETY_MS = 60_000;

/**
 * Tuya cloud OpenAPI client on Node's fetch, signing each request itself.
 * Tokens are cached; an expiring token is refreshed (single use: the old pair dies),
 * and a business call answered with 1010 logs in again once.
 */
export class TuyaClient {
  private token?: { accessToken: string; refreshToken: string; expiresAt: number };
  private tokenPending?: Promise<string>;
  private usage = { month: '', calls: 0 };
  private readonly fetchImpl: typeof fetch;
  private readonly now: () => number;
  private readonly nonce: () => string;

  constructor(private readonly options: TuyaClientOptions) {
    this.fetchImpl = options.fetch ?? fetch;
    this.now = options.now ?? Date.now;
    this.nonce = options.nonce ?? (() => randomUUID());
  }

  /** HTTP calls made this calendar month (UTC), token calls included. */
  callsThisMonth(now = this.now()): number {
    return this.usage.month === monthKey(now) ? this.usage.calls : 0;
  }

  /** Statuses of several devices in as few calls as possible (batches of 20). */
  async devicesStatus(deviceIds: readonly string[]): Promise<Map<string, TuyaDataPointValue[]>> {
    const out = new Map<string, TuyaDataPointValue[]>();
    for (let i = 0; i < deviceIds.length; i += TUYA_BATCH_LIMIT) {
      const batch = deviceIds.slice(i, i + TUYA_BATCH_LIMIT);
      const result = await this.request<Array<{ id: string; status?: TuyaDataPointValue[] }>>('GET', '/v1.0/iot-03/devices/status', {
        device_ids: batch.join(','),
      });
      for (const item of result ?? []) out.set(item.id, item.status ?? []);
    }
    return out;
  }

  /** A signed business request; retried once after a fresh login if the token was refused. */
  async request<T>(method: string, path: string, query: Record<string, string | number> = {}, body?: unknown): Promise<T> {
    const bodyText = body === undefined ? '' : JSON.stringify(body);
    let accessToken = await this.accessToken();
    let envelope = await this.send<T>(method, path, query, bodyText, accessToken);
    if (!envelope.success && envelope.code === TUYA_CODE_TOKEN_INVALID) {
      this.token = undefined;
      accessToken = await this.accessToken();
      envelope = await this.send<T>(method, path, query, bodyText, accessToken);
    }
    return this.unwrap(envelope, `${method} ${path}`);
  }

  private async accessToken(): Promise<string> {
    if (this.token && this.now() < this.token.expiresAt - TOKEN_SAFETY_MS) return this.token.accessToken;
    // Concurrent callers share one token request: a refresh token is single use.
    if (!this.tokenPending) {
      this.tokenPending = this.obtainToken().finally(() => {
        this.tokenPending = undefined;
      });
    }
    return this.tokenPending;
  }

  private async obtainToken(): Promise<string> {
    const previous = this.token;
    this.token = undefined;
    let result: TuyaTokenResult | undefined;
    if (previous) {
      const refreshed = await this.send<TuyaTokenResult>('GET', `/v1.0/token/${previous.refreshToken}`, {}, '', undefined);
      // A dead refresh token (already used, or expired) means logging in again.
      if (refreshed.success && refreshed.result) result = refreshed.result;
    }
    if (!result) {
      result = this.unwrap(await this.send<TuyaTokenResult>('GET', '/v1.0/token', { grant_type: 1 }, '', undefined), 'login');
    }
    if (!result?.access_token) throw new FieldBusError('cloud', 'Tuya cloud returned no access token');
    this.token = {
      accessToken: result.access_token,
      refreshToken: result.refresh_token,
      expiresAt: this.now() + result.expire_time * 1000,
    };
    return result.access_token;
  }

  private async send<T>(
    method: string,
    path: string,
    query: Record<string, string | number>,
    body: string,
    accessToken: string | undefined,
  ): Promise<TuyaEnvelope<T>> {
    const t = String(this.now());
    const nonce = this.nonce();
    const { sign } = signTuyaRequest({
      clientId: this.options.accessId,
      secret: this.options.accessSecret,
      accessToken,
      t,
      nonce,
      method,
      path,
      query,
      body,
    });
    const headers: Record<string, string> = {
      client_id: this.options.accessId,
      sign,
      t,
      nonce,
      sign_method: 'HMAC-SHA256',
    };
    if (accessToken) headers['access_token'] = accessToken;
    if (body) headers['Content-Type'] = 'application/json';
    this.countCall();
    // The wire URL is encoded; the signed one is not (tuyaSignedUrl).
    const search = new URLSearchParams(Object.entries(query).map(([k, v]) => [k, String(v)]));
    const url = `${this.options.baseUrl}${path}${search.size > 0 ? `?${search.toString()}` : ''}`;
    let response: Response;
    try {
      response = await this.fetchImpl(url, {
        method,
        headers,
        body: body || undefined,
        // A redirect could lead anywhere (an internal address): Tuya's API never redirects.
        redirect: 'error',
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000),
      });
    } catch (error) {
      throw new FieldBusError('cloud', `Tuya cloud ${this.host()} is not reachable: ${(error as Error).message}`);
    }
    if (!response.ok) throw new FieldBusError('cloud', `Tuya cloud ${this.host()} answered HTTP ${response.status} to ${tuyaSignedUrl(path)}`);
    try {
      return (await response.json()) as TuyaEnvelope<T>;
    } catch {
      throw new FieldBusError('cloud', `Tuya cloud ${this.host()} sent a reply that is not JSON`);
    }
  }

  private unwrap<T>(envelope: TuyaEnvelope<T>, what: string): T {
    if (envelope.success) return envelope.result as T;
    // A number, never text: whatever a peer puts in `code` must not travel as words.
    const code = typeof envelope.code === 'number' && Number.isFinite(envelope.code) ? envelope.code : 0;
    const hint =
      code === TUYA_CODE_SIGN_INVALID
        ? ': the signature was refused, check the access ID and secret'
        : code === TUYA_CODE_TOKEN_INVALID
          ? ': the access token was refused'
          : '';
    const message = `Tuya cloud refused ${what} (code ${code}, ${typeof envelope.msg === 'string' ? envelope.msg : 'no message'})${hint}`;
    // The peer's own words are kept for platform staff; users of a client see them only from Tuya's own data centres.
    const withoutPeerText = `Tuya cloud ${this.host()} refused ${what} (code ${code})${hint}`;
    throw new FieldBusError('cloud', message, { cloudCode: code, withoutPeerText });
  }

  private countCall(): void {
    const month = monthKey(this.now());
    if (this.usage.month !== month) this.usage = { month, calls: 0 };
    this.usage.calls += 1;
  }

  private host(): string {
    try {
      return new URL(this.options.baseUrl).host;
    } catch {
      return this.options.baseUrl;
    }
  }
}

function monthKey(epochMs: number): string {
  const date = new Date(epochMs);
  return `${date.getUTCFullYear()}-${date.getUTCMonth()}`;
}
