import { createHash, createHmac, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface TuyaCloudOptions {
  port: number;
  host?: string;
  accessId: string;
  accessSecret: string;
  /** Plug ids served by the status endpoints. */
  deviceIds: string[];
  /** Token lifetime in seconds (Tuya: 7200). */
  expireTimeSec?: number;
  clock?: () => number;
}

export interface RunningTuyaCloud {
  port: number;
  /** Makes every issued access token invalid (answers code 1010), like an expiry. */
  expireTokens(): void;
  readonly calls: string[];
  close(): Promise<void>;
}

/**
 * A Tuya-compatible cloud for demos: checks the HMAC-SHA256 signature of every request
 * (its own implementation of the algorithm), issues and refreshes tokens, and serves
 * energy-plug data points with smoothly varying values.
 */
export async function startTuyaCloud(options: TuyaCloudOptions): Promise<RunningTuyaCloud> {
  const clock = options.clock ?? Date.now;
  const tokens = new Map<string, number>();
  const refreshTokens = new Map<string, string>();
  const calls: string[] = [];
  const energy = new Map<string, { wh: number; at: number }>();

  const json = (res: ServerResponse, body: unknown) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ ...(body as object), t: clock() }));
  };
  const issue = (res: ServerResponse) => {
    const access = randomBytes(16).toString('hex');
    const refresh = randomBytes(16).toString('hex');
    const life = options.expireTimeSec ?? 7200;
    tokens.set(access, clock() + life * 1000);
    refreshTokens.set(refresh, access);
    json(res, { success: true, result: { access_token: access, refresh_token: refresh, expire_time: life, uid: 'sim-user' } });
  };
  const status = (id: string) => {
    const now = clock();
    const seconds = now / 1000;
    const phase = id.length * 0.9;
    const volts = 230 + 2 * Math.sin(seconds / 10 + phase);
    const amps = 0.8 + 0.5 * Math.sin(seconds / 50 + phase);
    const watts = volts * amps * 0.95;
    const counter = energy.get(id) ?? { wh: 500, at: now };
    counter.wh += (watts * Math.max(0, now - counter.at)) / 3_600_000;
    counter.at = now;
    energy.set(id, counter);
    return [
      { code: 'switch_1', value: true },
      { code: 'cur_voltage', value: Math.round(volts * 10) }, // 0.1 V
      { code: 'cur_current', value: Math.round(amps * 1000) }, // mA
      { code: 'cur_power', value: Math.round(watts * 10) }, // 0.1 W
      { code: 'add_ele', value: Math.floor(counter.wh) }, // 0.001 kWh = 1 Wh
    ];
  };

  const handle = (req: IncomingMessage, res: ServerResponse, body: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://sim');
    calls.push(`${req.method} ${url.pathname}`);
    const header = (name: string) => {
      const value = req.headers[name];
      return Array.isArray(value) ? value[0] : (value ?? '');
    };
    const query = [...url.searchParams.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    const signedUrl = url.pathname + (query.length ? `?${query.map(([k, v]) => `${k}=${v}`).join('&')}` : '');
    const signedHeaderNames = header('signature-headers').split(':').filter(Boolean);
    const signedHeaders = signedHeaderNames.map((name) => `${name}:${header(name.toLowerCase())}\n`).join('');
    const stringToSign = `${req.method}\n${createHash('sha256').update(body).digest('hex')}\n${signedHeaders}\n${signedUrl}`;
    const isToken = url.pathname.startsWith('/v1.0/token');
    const accessToken = header('access_token');
    const expected = createHmac('sha256', options.accessSecret)
      .update(options.accessId + (isToken ? '' : accessToken) + header('t') + header('nonce') + stringToSign)
      .digest('hex')
      .toUpperCase();
    if (header('client_id') !== options.accessId || header('sign') !== expected) return json(res, { success: false, code: 1004, msg: 'sign invalid' });
    if (url.pathname === '/v1.0/token' && url.searchParams.get('grant_type') === '1') return issue(res);
    if (isToken) {
      const old = refreshTokens.get(url.pathname.split('/').pop() ?? '');
      if (!old) return json(res, { success: false, code: 1010, msg: 'token invalid' });
      refreshTokens.delete(url.pathname.split('/').pop() ?? '');
      tokens.delete(old);
      return issue(res);
    }
    const expiry = tokens.get(accessToken);
    if (expiry === undefined || expiry < clock()) return json(res, { success: false, code: 1010, msg: 'token invalid' });
    if (url.pathname === '/v1.0/iot-03/devices/status') {
      const ids = (url.searchParams.get('device_ids') ?? '').split(',').filter((id) => options.deviceIds.includes(id));
      return json(res, { success: true, result: ids.map((id) => ({ id, status: status(id) })) });
    }
    const single = /^\/v1\.0\/(?:iot-03\/)?devices\/([^/]+)\/status$/.exec(url.pathname);
    if (single && options.deviceIds.includes(single[1])) return json(res, { success: true, result: status(single[1]) });
    if (url.pathname === '/v1.0/iot-03/devices') {
      return json(res, { success: true, result: { list: options.deviceIds.map((id) => ({ id, name: `Simulated plug ${id}`, category: 'cz' })) } });
    }
    json(res, { success: false, code: 1106, msg: 'permission deny' });
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => handle(req, res, Buffer.concat(chunks)));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    calls,
    expireTokens: () => tokens.clear(),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
