import { ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createPgDatabase, usesPostgres } from '../../testing/test-app';
import { fingerprint, sleep, StoredValue, storedValues, waitFor } from './forwarding-test-kit';

/**
 * Master and slave as real processes (the built server, dist/apps/api/main.js; CI builds before
 * the system suite), each on its own temporary database, so that either can be killed outright:
 * - the slave is killed (SIGKILL) in the middle of a stream and comes back 6 s later;
 * - the master is killed (SIGKILL) with a backlog and restarted: the backlog drains.
 * Every reading must arrive exactly once: count, distinct keys and a checksum of the values.
 */
jest.setTimeout(180_000);

const ROOT = resolve(__dirname, '../../../../..');
const MAIN = join(ROOT, 'dist/apps/api/main.js');
const ADMIN = { email: 'admin@forwarding.test', password: 'forwarding-password-1' };
const T0 = Date.UTC(2026, 10, 26, 0, 0, 0);
/** The issue says 30 s; the forwarder's behaviour does not change after its backoff reaches its cap (2 s here), so 6 s shows the same. */
const SLAVE_DOWN_MS = 6_000;

const freePort = () =>
  new Promise<number>((done) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => done(port));
    });
  });

interface Instance {
  url: string;
  token: string;
  env: Record<string, string>;
  child: ChildProcess;
  output: string[];
  dataDir: string;
  dropDb?: () => Promise<void>;
}

async function launch(inst: Omit<Instance, 'child' | 'output' | 'token'> & Partial<Instance>): Promise<Instance> {
  const output: string[] = [];
  const child = spawn(process.execPath, [MAIN], {
    env: { PATH: process.env['PATH'] ?? '', TZ: 'UTC', LOG_LEVEL: 'warn', LOG_FORMAT: 'json', ENABLE_POLLING: 'false', ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password, DATA_DIR: inst.dataDir, ...inst.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (b: Buffer) => output.push(b.toString()));
  child.stderr?.on('data', (b: Buffer) => output.push(b.toString()));
  await waitFor(`${inst.url}/api/health`, async () => {
    if (child.exitCode !== null) throw new Error(`exited ${child.exitCode}: ${output.join('')}`);
    return (await fetch(`${inst.url}/api/health`)).ok;
  }, 30_000);
  const login = await fetch(`${inst.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(ADMIN) });
  const { accessToken } = (await login.json()) as { accessToken: string };
  return { ...inst, child, output, token: accessToken };
}

async function start(env: Record<string, string> = {}): Promise<Instance> {
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'pieng-fwd-'));
  const pg = usesPostgres() ? await createPgDatabase() : undefined;
  return launch({ url: `http://127.0.0.1:${port}`, dataDir, env: { PORT: String(port), ...(pg && { DATABASE_URL: pg.url }), ...env }, dropDb: pg?.drop });
}

async function kill(inst: Instance, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  if (inst.child.exitCode !== null || inst.child.signalCode !== null) return;
  const exited = new Promise((r) => inst.child.once('exit', r));
  inst.child.kill(signal);
  await exited;
}

async function call<T = unknown>(inst: Instance, method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(inst.url + path, { method, headers: { 'content-type': 'application/json', authorization: `Bearer ${inst.token}` }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

const getter = (inst: Instance) => async (path: string) => ({ status: 200, body: await call(inst, 'GET', path) });
const status = (inst: Instance) => call<{ pending: number; deadLettered: number; full: boolean; overflowDevices: number; lastError: string | null }>(inst, 'GET', '/api/forwarding/status');

describe('forwarding between two processes that get killed', () => {
  beforeAll(() => {
    // The system suite runs the production build; without it this test fails, it is never skipped.
    if (!existsSync(MAIN)) throw new Error(`${MAIN} not found: run npm run build first`);
  });

  let slave: Instance;
  let master: Instance;
  let uid: string;
  let deviceId: number;
  let sent = 0;

  const send = async (n: number) => {
    const readings = Array.from({ length: n }, (_, k) => {
      const i = sent + k;
      return { deviceId, timestamp: T0 + i * 1000, metrics: { voltage: 220 + (i % 200) / 10, energy: 10_000 + i * 3 } };
    });
    sent += n;
    await call(master, 'POST', '/api/ingest', { readings });
  };
  const compare = async (): Promise<StoredValue[]> => {
    const [m, s] = await Promise.all([storedValues(getter(master), [uid]), storedValues(getter(slave), [uid])]);
    expect(fingerprint(s)).toEqual(fingerprint(m));
    expect(fingerprint(m).distinctKeys).toBe(m.length);
    return m;
  };
  const drained = () =>
    waitFor('the master to drain', async () => {
      const s = await status(master);
      return s.pending === 0 && s.overflowDevices === 0 && !s.full;
    }, 60_000, 200);

  beforeAll(async () => {
    slave = await start();
    const client = await call<{ id: number }>(slave, 'POST', '/api/clients', { name: 'Acme', externalId: 'ACME' });
    const key = await call<{ key: string }>(slave, 'POST', '/api/api-keys', { name: 'master', scope: 'ingest', clientId: client.id });
    master = await start({ FORWARDER_URL: slave.url, FORWARDER_API_KEY: key.key, FORWARDER_BATCH_SIZE: '200', FORWARDER_BACKOFF_MIN_MS: '100', FORWARDER_BACKOFF_MAX_MS: '2000', FORWARDER_TIMEOUT_MS: '2000' });
    const mc = await call<{ id: number }>(master, 'POST', '/api/clients', { name: 'Acme', externalId: 'ACME' });
    const device = await call<{ id: number; uid: string }>(master, 'POST', '/api/devices', { clientId: mc.id, name: 'Main incomer', deviceType: 'api' });
    deviceId = device.id;
    uid = device.uid;
  });
  afterAll(async () => {
    for (const inst of [master, slave]) {
      if (!inst) continue;
      await kill(inst, 'SIGTERM');
      await inst.dropDb?.();
      rmSync(inst.dataDir, { recursive: true, force: true });
    }
  });

  it('delivers every reading exactly once when the slave is killed mid-stream and restarted later', async () => {
    // A stream of 50-reading batches every 50 ms; the slave dies in the middle of it.
    const stream = (async () => {
      for (let b = 0; b < 60; b++) {
        await send(50);
        await sleep(50);
      }
    })();
    await sleep(800);
    await kill(slave);
    await sleep(SLAVE_DOWN_MS);
    const during = await status(master);
    expect(during.pending).toBeGreaterThan(0);
    expect(during.lastError).toMatch(/ECONNREFUSED|fetch failed|socket|ECONNRESET/);
    slave = await launch(slave);
    await stream;
    await drained();
    expect((await compare()).length).toBe(sent * 2);
  });

  it('drains the backlog of a master killed with one, once it is restarted', async () => {
    // The slave is stopped, a backlog builds, the master is killed outright with it.
    await kill(slave, 'SIGTERM');
    for (let b = 0; b < 20; b++) await send(100);
    expect((await status(master)).pending).toBeGreaterThanOrEqual(2000);
    await kill(master);
    slave = await launch(slave);
    master = await launch(master);
    await drained();
    expect((await compare()).length).toBe(sent * 2);
  });
});
