import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * Test helpers for forwarding (imported by specs only): a fault-injecting HTTP proxy
 * in front of the slave, and an exact comparison of what two instances store.
 */

/** pass: relay; fail500: answer 500 without relaying; hang: never answer; commitThenFail: relay, then answer 502 (the slave stored it); commitThenHang: relay, then never answer; down: close the connection. */
export type ProxyMode = 'pass' | 'fail500' | 'hang' | 'commitThenFail' | 'commitThenHang' | 'down';

export interface FaultProxy {
  url: string;
  /** Decides each request's fate from its number (1, 2, ...). */
  plan: (n: number) => ProxyMode;
  requests: number;
  relayed: number;
  close(): Promise<void>;
}

export async function startFaultProxy(target: () => string): Promise<FaultProxy> {
  const sockets = new Set<Socket>();
  const proxy: FaultProxy = { url: '', plan: () => 'pass', requests: 0, relayed: 0, close: async () => undefined };
  const relay = async (req: IncomingMessage, body: Buffer) => {
    proxy.relayed++;
    const res = await fetch(target() + (req.url ?? '/'), {
      method: req.method,
      headers: {
        'content-type': String(req.headers['content-type'] ?? 'application/json'),
        ...(req.headers['x-api-key'] && { 'x-api-key': String(req.headers['x-api-key']) }),
      },
      body: req.method === 'GET' ? undefined : body.toString('utf8'),
    });
    return { status: res.status, text: await res.text() };
  };
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const mode = proxy.plan(++proxy.requests);
      try {
        if (mode === 'down') return req.socket.destroy();
        if (mode === 'hang') return;
        if (mode === 'fail500') return res.writeHead(500, { 'content-type': 'application/json' }).end('{"statusCode":500,"message":"injected"}');
        const answer = await relay(req, Buffer.concat(chunks));
        if (mode === 'commitThenHang') return;
        if (mode === 'commitThenFail')
          return res.writeHead(502, { 'content-type': 'application/json' }).end('{"statusCode":502,"message":"injected after commit"}');
        res.writeHead(answer.status, { 'content-type': 'application/json' }).end(answer.text);
      } catch {
        req.socket.destroy();
      }
    });
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  proxy.close = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    });
  return proxy;
}

export interface StoredValue {
  uid: string;
  metric: string;
  ts: string;
  value: number;
}

type Get = (path: string) => Promise<{ status: number; body: unknown }>;

/** Every value an instance stores for the given device uids, read through GET /api/metrics page by page. */
export async function storedValues(get: Get, uids: string[]): Promise<StoredValue[]> {
  const devices = (await get('/api/devices')).body as Array<{ id: number; uid: string }>;
  const out: StoredValue[] = [];
  for (const uid of uids) {
    const device = devices.find((d) => d.uid === uid);
    if (!device) continue;
    let cursor: string | null = null;
    do {
      const page = (await get(`/api/metrics?deviceId=${device.id}&limit=10000${cursor ? `&cursor=${cursor}` : ''}`)).body as {
        items: Array<{ metric: string; ts: string; value: number }>;
        nextCursor: string | null;
      };
      for (const item of page.items) out.push({ uid, metric: item.metric, ts: item.ts, value: item.value });
      cursor = page.nextCursor;
    } while (cursor);
  }
  return out;
}

/** Count, a checksum of the values (sum weighted by position in a canonical order) and the keys, for an exact comparison. */
export function fingerprint(values: StoredValue[]): { count: number; checksum: number; distinctKeys: number } {
  const sorted = [...values].sort((a, b) => (a.uid + a.metric + a.ts < b.uid + b.metric + b.ts ? -1 : 1));
  let checksum = 0;
  sorted.forEach((v, i) => (checksum = (checksum + v.value * ((i % 997) + 1)) % 1e9));
  return { count: values.length, checksum: Math.round(checksum * 1000) / 1000, distinctKeys: new Set(values.map((v) => `${v.uid}|${v.metric}|${v.ts}`)).size };
}
