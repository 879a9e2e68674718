import { createHash, createHmac, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startTuyaCloud } from '@pieng/simulator';
import { validateDeviceConfig } from '../config/validate-device-config';
import { FieldBusError } from '../errors';
import { FieldBus, errorForClientUser } from '../field-bus';
import { TuyaClient } from './tuya-client';
import { tuyaPollBudget } from './tuya-budget';
import { mapTuyaStatus } from './tuya-metrics';
import { EMPTY_BODY_SHA256, signTuyaRequest, tuyaStringToSign } from './tuya-signer';

const CLIENT_ID = 'p1n9test0client';
const SECRET = 'f0e1d2c3b4a5968778695a4b3c2d1e0f';

describe('Tuya signature (current HMAC-SHA256 algorithm)', () => {
  it('signs a token request: HMAC(client_id + t + nonce + stringToSign)', () => {
    const t = '1700000000000';
    const nonce = '5f1c2d3e';
    // Layout from PROTOCOLS.md, built by hand: METHOD \n sha256(empty body) \n (no signed headers) \n url
    const expectedStringToSign = 'GET\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n\n/v1.0/token?grant_type=1';
    const expectedSign = createHmac('sha256', SECRET)
      .update(CLIENT_ID + t + nonce + expectedStringToSign)
      .digest('hex')
      .toUpperCase();
    const { sign, stringToSign } = signTuyaRequest({
      clientId: CLIENT_ID,
      secret: SECRET,
      t,
      nonce,
      method: 'GET',
      path: '/v1.0/token',
      query: { grant_type: 1 },
    });
    expect(stringToSign).toBe(expectedStringToSign);
    expect(sign).toBe(expectedSign);
    expect(sign).toMatch(/^[0-9A-F]{64}$/);
  });

  it('signs a business request with the access token, sorted and unencoded query, body hash', () => {
    const t = '1700000000123';
    const body = '{"commands":[{"code":"switch_1","value":true}]}';
    const bodyHash = createHash('sha256').update(body).digest('hex');
    const expectedStringToSign = `POST\n${bodyHash}\n\n/v1.0/things?a_first=x y,z&device_ids=b,a`;
    const expectedSign = createHmac('sha256', SECRET)
      .update(CLIENT_ID + 'tok123' + t + expectedStringToSign)
      .digest('hex')
      .toUpperCase();
    const input = {
      clientId: CLIENT_ID,
      secret: SECRET,
      accessToken: 'tok123',
      t,
      method: 'post',
      path: '/v1.0/things',
      query: { device_ids: 'b,a', a_first: 'x y,z' },
      body,
    };
    expect(tuyaStringToSign(input)).toBe(expectedStringToSign);
    expect(signTuyaRequest(input).sign).toBe(expectedSign);
    expect(tuyaStringToSign({ method: 'GET', path: '/p', signedHeaders: [['area_id', '29a33e8796834b1efa6']] })).toBe(
      `GET\n${EMPTY_BODY_SHA256}\narea_id:29a33e8796834b1efa6\n\n/p`,
    );
  });
});

/**
 * A Tuya-compatible cloud for the tests: verifies every signature with its own code
 * (node:crypto), issues and refreshes tokens (single use), expires them on demand
 * (code 1010) and serves the batch status endpoint.
 */
class FakeTuyaCloud {
  server!: Server;
  baseUrl = '';
  readonly calls: string[] = [];
  private tokens = new Map<string, number>(); // access token -> expiry (epoch ms)
  private refreshTokens = new Map<string, string>(); // refresh -> access
  statuses = new Map<string, Array<{ code: string; value: unknown }>>();

  async start(): Promise<void> {
    this.server = createServer((req, res) => this.handle(req, res));
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.baseUrl = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  expireAllTokens(): void {
    this.tokens.clear();
  }

  private issue(res: ServerResponse): void {
    const access = randomBytes(8).toString('hex');
    const refresh = randomBytes(8).toString('hex');
    this.tokens.set(access, Date.now() + 7200_000);
    this.refreshTokens.set(refresh, access);
    this.reply(res, { success: true, result: { access_token: access, refresh_token: refresh, expire_time: 7200, uid: 'u1' } });
  }

  private reply(res: ServerResponse, body: unknown): void {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(body));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      this.calls.push(`${req.method} ${url.pathname}`);
      const header = (name: string) => String(req.headers[name] ?? '');
      const isTokenCall = url.pathname.startsWith('/v1.0/token');
      const accessToken = header('access_token');
      const sortedQuery = [...url.searchParams.entries()]
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([k, v]) => `${k}=${v}`)
        .join('&');
      const signedUrl = sortedQuery ? `${url.pathname}?${sortedQuery}` : url.pathname;
      const contentHash = createHash('sha256').update(Buffer.concat(chunks)).digest('hex');
      const stringToSign = [req.method, contentHash, '', signedUrl].join('\n');
      const prefix = isTokenCall ? CLIENT_ID : CLIENT_ID + accessToken;
      const expected = createHmac('sha256', SECRET)
        .update(prefix + header('t') + header('nonce') + stringToSign)
        .digest('hex')
        .toUpperCase();
      if (header('client_id') !== CLIENT_ID || header('sign_method') !== 'HMAC-SHA256' || header('sign') !== expected || !/^\d{13}$/.test(header('t'))) {
        this.reply(res, { success: false, code: 1004, msg: 'sign invalid' });
        return;
      }
      if (url.pathname === '/v1.0/token' && url.searchParams.get('grant_type') === '1') return this.issue(res);
      if (url.pathname.startsWith('/v1.0/token/')) {
        const refresh = url.pathname.slice('/v1.0/token/'.length);
        const oldAccess = this.refreshTokens.get(refresh);
        if (!oldAccess) return this.reply(res, { success: false, code: 1010, msg: 'token invalid' });
        // single use: the old pair dies
        this.refreshTokens.delete(refresh);
        this.tokens.delete(oldAccess);
        return this.issue(res);
      }
      const expiry = this.tokens.get(accessToken);
      if (!expiry || expiry < Date.now()) return this.reply(res, { success: false, code: 1010, msg: 'token invalid' });
      if (url.pathname === '/v1.0/iot-03/devices/status') {
        const ids = (url.searchParams.get('device_ids') ?? '').split(',');
        const result = ids.filter((id) => this.statuses.has(id)).map((id) => ({ id, status: this.statuses.get(id) }));
        return this.reply(res, { success: true, result, t: Date.now() });
      }
      this.reply(res, { success: false, code: 1108, msg: 'uri path invalid' });
    });
  }
}

describe('TuyaClient against a verifying local cloud', () => {
  const cloud = new FakeTuyaCloud();
  beforeAll(() => cloud.start());
  afterAll(() => cloud.stop());
  beforeEach(() => {
    cloud.calls.length = 0;
    cloud.statuses.set('plug1', [
      { code: 'switch_1', value: true },
      { code: 'cur_voltage', value: 2302 }, // 2302 x 0.1 = 230.2 V
      { code: 'cur_current', value: 1250 }, // 1250 mA = 1.25 A
      { code: 'cur_power', value: 2601 }, // 2601 x 0.1 = 260.1 W
      { code: 'add_ele', value: 345 }, // 345 x 0.001 kWh = 345 Wh
    ]);
    cloud.statuses.set('plug2', [{ code: 'cur_power', value: 100 }]);
  });

  it('logs in, caches the token and reads several devices in one call', async () => {
    const client = new TuyaClient({ baseUrl: cloud.baseUrl, accessId: CLIENT_ID, accessSecret: SECRET });
    const statuses = await client.devicesStatus(['plug1', 'plug2']);
    expect(statuses.get('plug2')).toEqual([{ code: 'cur_power', value: 100 }]);
    await client.devicesStatus(['plug1']);
    expect(cloud.calls).toEqual(['GET /v1.0/token', 'GET /v1.0/iot-03/devices/status', 'GET /v1.0/iot-03/devices/status']);
    expect(client.callsThisMonth()).toBe(3);
  });

  it('logs in again when a business call answers 1010 (token expired)', async () => {
    const client = new TuyaClient({ baseUrl: cloud.baseUrl, accessId: CLIENT_ID, accessSecret: SECRET });
    await client.devicesStatus(['plug1']);
    cloud.expireAllTokens();
    const statuses = await client.devicesStatus(['plug1']);
    expect(statuses.get('plug1')).toHaveLength(5);
    expect(cloud.calls).toEqual([
      'GET /v1.0/token',
      'GET /v1.0/iot-03/devices/status',
      'GET /v1.0/iot-03/devices/status', // answered 1010
      'GET /v1.0/token',
      'GET /v1.0/iot-03/devices/status',
    ]);
  });

  it('refreshes a token near expiry with the single-use refresh token', async () => {
    let now = Date.now();
    const client = new TuyaClient({ baseUrl: cloud.baseUrl, accessId: CLIENT_ID, accessSecret: SECRET, now: () => now });
    await client.devicesStatus(['plug1']);
    now += 7200_000; // the token's stated lifetime has passed on the client's clock
    await client.devicesStatus(['plug1']);
    now += 7200_000;
    await client.devicesStatus(['plug1']);
    expect(cloud.calls.filter((c) => c.startsWith('GET /v1.0/token/'))).toHaveLength(2);
    expect(cloud.calls.filter((c) => c === 'GET /v1.0/token')).toHaveLength(1);
  });

  it('reports a refused signature in plain words', async () => {
    const client = new TuyaClient({ baseUrl: cloud.baseUrl, accessId: CLIENT_ID, accessSecret: 'wrong' });
    await expect(client.devicesStatus(['plug1'])).rejects.toThrow(
      'Tuya cloud refused login (code 1004, sign invalid): the signature was refused, check the access ID and secret',
    );
  });

  it('FieldBus batches concurrent Tuya reads into one status call and maps the data points', async () => {
    const bus = new FieldBus();
    const device = (id: string, tuyaDeviceId: string) => {
      const result = validateDeviceConfig('tuya', { region: 'eu', endpoint: cloud.baseUrl, accessId: CLIENT_ID, accessSecret: SECRET, tuyaDeviceId });
      if (!result.config) throw new Error(JSON.stringify(result.errors));
      return { id, deviceType: 'tuya' as const, config: result.config, clientId: 1 };
    };
    try {
      const [one, two] = await Promise.all([bus.read(device('a', 'plug1')), bus.read(device('b', 'plug2'))]);
      expect(one.metrics).toEqual({ voltage: 230.2, current: 1.25, power: 260.1, energy: 345 });
      expect(one.source).toBe('tuya');
      expect(two.metrics).toEqual({ power: 10 });
      expect(cloud.calls).toEqual(['GET /v1.0/token', 'GET /v1.0/iot-03/devices/status']);
      await expect(bus.read(device('c', 'nope'))).rejects.toThrow('Tuya device nope is not in this cloud project or sent no status');
      const secretHash = createHash('sha256').update(SECRET).digest('hex');
      expect(bus.lineKey(device('a', 'plug1'))).toBe(`tuya:${cloud.baseUrl}:${CLIENT_ID}:client-1:${secretHash}`);
      const budget = bus.tuyaBudget(device('a', 'plug1'), 60_000);
      expect(budget.remainingCalls).toBe(26_000 - 3);
    } finally {
      await bus.close();
    }
  });
});

describe('FieldBus Tuya accounts: one per client and secret', () => {
  const cloud = new FakeTuyaCloud();
  beforeAll(() => cloud.start());
  afterAll(() => cloud.stop());
  beforeEach(() => cloud.statuses.set('plugA', [{ code: 'cur_power', value: 1234 }])); // 1234 x 0.1 = 123.4 W

  const plug = (id: string, clientId: number | null, accessSecret: string) => {
    const result = validateDeviceConfig('tuya', { region: 'eu', endpoint: cloud.baseUrl, accessId: CLIENT_ID, accessSecret, tuyaDeviceId: 'plugA' });
    if (!result.config) throw new Error(JSON.stringify(result.errors));
    return { id, deviceType: 'tuya' as const, config: result.config, clientId };
  };

  it('a wrong secret under the same access id gets nothing, even after the right one logged in', async () => {
    const bus = new FieldBus();
    try {
      expect((await bus.read(plug('a', 1, SECRET))).metrics).toEqual({ power: 123.4 });
      await expect(bus.read(plug('b', 2, 'any-other-secret'))).rejects.toThrow(/code 1004/);
      // The same client with a wrong secret does not ride on its own right one either.
      await expect(bus.read(plug('a2', 1, 'any-other-secret'))).rejects.toThrow(/code 1004/);
      expect((await bus.read(plug('a', 1, SECRET))).metrics).toEqual({ power: 123.4 });
    } finally {
      await bus.close();
    }
  });

  it('a wrong secret tried first does not lock the right one out', async () => {
    const bus = new FieldBus();
    try {
      await expect(bus.read(plug('b', 2, 'any-other-secret'))).rejects.toThrow(/code 1004/);
      expect((await bus.read(plug('a', 1, SECRET))).metrics).toEqual({ power: 123.4 });
    } finally {
      await bus.close();
    }
  });

  it('two clients with the same right secret still log in separately', async () => {
    const bus = new FieldBus();
    cloud.calls.length = 0;
    try {
      await bus.read(plug('a', 1, SECRET));
      await bus.read(plug('b', 2, SECRET));
      expect(cloud.calls.filter((c) => c === 'GET /v1.0/token')).toHaveLength(2);
      expect(bus.lineKey(plug('a', 1, SECRET))).not.toBe(bus.lineKey(plug('b', 2, SECRET)));
    } finally {
      await bus.close();
    }
  });

  it('closes the account a test read or an edited secret left behind, and keeps the one still read through', async () => {
    const bus = new FieldBus();
    cloud.calls.length = 0;
    const logins = () => cloud.calls.filter((c) => c === 'GET /v1.0/token').length;
    try {
      await bus.read(plug('a', 1, SECRET));
      await bus.read(plug('test-read', 1, SECRET)); // the same account: no second login
      expect(logins()).toBe(1);
      bus.forget('test-read');
      await bus.read(plug('a', 1, SECRET)); // still logged in
      expect(logins()).toBe(1);
      await expect(bus.read(plug('a', 1, 'edited-wrong-secret'))).rejects.toThrow(/code 1004/); // a refused login: 2
      // 'a' left its first account, which nobody else read through: it was closed, so the right secret logs in anew: 3.
      await bus.read(plug('a', 1, SECRET));
      expect(logins()).toBe(3);
    } finally {
      await bus.close();
    }
  });

  it("hides a peer's message from client users unless the peer is one of Tuya's data centres", async () => {
    const bus = new FieldBus();
    try {
      const device = plug('b', 2, 'any-other-secret');
      const error = (await bus.read(device).then(
        () => undefined,
        (e: unknown) => e,
      )) as FieldBusError;
      expect(error).toBeInstanceOf(FieldBusError);
      expect(error.message).toContain('sign invalid'); // staff see the cloud's words
      const forClient = errorForClientUser(error, device);
      expect(forClient.message).not.toContain('sign invalid');
      expect(forClient.message).toContain('code 1004');
      expect(forClient.message).toContain('check the access ID and secret');
      const atTuya = { ...device, config: { ...device.config, endpoint: 'https://openapi.tuyaeu.com' } };
      expect(errorForClientUser(error, atTuya).message).toContain('sign invalid');
    } finally {
      await bus.close();
    }
  });
});

describe('Tuya data point mapping and call budget', () => {
  it('applies configurable scales', () => {
    const scales = { cur_voltage: 0.1, cur_current: 0.001, cur_power: 0.1, add_ele: 10 };
    // add_ele 345 with a 0.01 kWh plug: 345 x 10 = 3450 Wh
    expect(
      mapTuyaStatus(
        [
          { code: 'add_ele', value: 345 },
          { code: 'cur_voltage', value: 'x' },
        ],
        scales,
      ),
    ).toEqual({ energy: 3450 });
  });

  it('keeps the configured interval while the quota lasts', () => {
    // 1 June 2024 00:00 UTC: 30 days = 2,592,000,000 ms left; 26,000 - 400 reserve = 25,600 polls
    // -> at least 2,592,000,000 / 25,600 = 101,250 ms between polls; 5 minutes is fine.
    const budget = tuyaPollBudget({ monthlyQuota: 26_000, callsUsed: 0, now: Date.UTC(2024, 5, 1), pollIntervalMs: 300_000 });
    expect(budget).toEqual({
      effectivePollIntervalMs: 300_000,
      stretched: false,
      remainingCalls: 26_000,
      remainingFraction: 1,
      monthEndsAt: Date.UTC(2024, 6, 1),
    });
  });

  it('stretches the interval so the month cannot be exhausted, and warns below 20 %', () => {
    // 21 June 12:00 UTC: 9.5 days = 820,800,000 ms left; 26,000 - 22,000 = 4,000 left (15 %),
    // 3,600 usable after the 400 reserve -> 820,800,000 / 3,600 = 228,000 ms.
    const budget = tuyaPollBudget({ monthlyQuota: 26_000, callsUsed: 22_000, now: Date.UTC(2024, 5, 21, 12), pollIntervalMs: 60_000 });
    expect(budget.effectivePollIntervalMs).toBe(228_000);
    expect(budget.stretched).toBe(true);
    expect(budget.warning).toBe('Tuya API quota low: 4000 of 26000 calls left this month (15 %); polling slowed to every 228 s.');
    // two devices polling separately cost two calls per round: twice the interval
    expect(
      tuyaPollBudget({ monthlyQuota: 26_000, callsUsed: 22_000, now: Date.UTC(2024, 5, 21, 12), pollIntervalMs: 60_000, callsPerPoll: 2 })
        .effectivePollIntervalMs,
    ).toBe(456_000);
    const spent = tuyaPollBudget({ monthlyQuota: 26_000, callsUsed: 25_800, now: Date.UTC(2024, 5, 21, 12), pollIntervalMs: 60_000 });
    expect(spent.effectivePollIntervalMs).toBe(820_800_000);
    expect(spent.warning).toContain('used up');
  });
});

describe("FieldBus against the simulator's Tuya-compatible cloud", () => {
  it('reads a simulated plug through the signed batch endpoint and survives token expiry', async () => {
    const cloud = await startTuyaCloud({ port: 0, accessId: 'sim-id', accessSecret: 'sim-secret', deviceIds: ['plugA'] });
    const bus = new FieldBus();
    const result = validateDeviceConfig('tuya', {
      region: 'eu',
      endpoint: `http://127.0.0.1:${cloud.port}`,
      accessId: 'sim-id',
      accessSecret: 'sim-secret',
      tuyaDeviceId: 'plugA',
      simulated: true,
    });
    const device = { id: 'p', deviceType: 'tuya' as const, config: result.config as NonNullable<typeof result.config>, clientId: 1 };
    try {
      const first = await bus.read(device);
      expect(first.source).toBe('simulator');
      expect(Object.keys(first.metrics).sort()).toEqual(['current', 'energy', 'power', 'voltage']);
      expect(first.metrics['voltage']).toBeGreaterThan(225);
      cloud.expireTokens();
      expect((await bus.read(device)).metrics['energy']).toBeGreaterThanOrEqual(first.metrics['energy']);
      expect(cloud.calls.filter((c) => c === 'GET /v1.0/token')).toHaveLength(2);
    } finally {
      await bus.close();
      await cloud.close();
    }
  });
});
