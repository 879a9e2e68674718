import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Browser } from 'playwright-core';

/**
 * What the browser tests share: the built API (serving the built console) on a temporary data directory, and
 * Debian's chromium. Builds nothing: CI runs `npm run build` first.
 */
export const ROOT = resolve(__dirname, '../../../..');
export const SCREENSHOTS = join(ROOT, 'docs/screenshots');
export const ADMIN = { email: 'admin@plant.test', password: 'correct-horse-battery-9' };
const API_MAIN = join(ROOT, 'dist/apps/api/main.js');
const WEB_INDEX = join(ROOT, 'dist/apps/web/browser/index.html');
const CHROMIUM = '/usr/bin/chromium';

export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolvePort(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

export interface RunningApi {
  base: string;
  dataDir: string;
  output(): string;
  stop(): Promise<void>;
}

/** The production build of the API on a fresh data directory, answering /api/health. */
export async function startApi(env: Record<string, string> = {}): Promise<RunningApi> {
  if (!existsSync(CHROMIUM)) throw new Error('chromium not found: apt-get install chromium');
  if (!existsSync(API_MAIN) || !existsSync(WEB_INDEX)) throw new Error(`run npm run build first (${API_MAIN} and ${WEB_INDEX} are needed)`);
  const dataDir = mkdtempSync(join(tmpdir(), 'pieng-web-e2e-'));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  let output = '';
  const api: ChildProcess = spawn(process.execPath, [API_MAIN], {
    cwd: dataDir,
    env: { ...process.env, PORT: String(port), DATA_DIR: dataDir, ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  api.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  api.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const stop = async () => {
    if (api.exitCode === null) {
      const exited = new Promise((r) => api.once('exit', r));
      api.kill('SIGTERM');
      await exited;
    }
    rmSync(dataDir, { recursive: true, force: true });
  };
  // A minute: on a busy two-core machine the server's start alone has taken more than 20 s.
  for (const deadline = Date.now() + 60_000; Date.now() < deadline; ) {
    if (api.exitCode !== null) throw new Error(`the API exited (${api.exitCode}):\n${output}`);
    try {
      if ((await fetch(`${base}/api/health`)).ok) return { base, dataDir, output: () => output, stop };
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  await stop();
  throw new Error(`the API did not answer /api/health:\n${output}`);
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

/** An access token of the platform admin, for seeding through the public API. */
export async function apiToken(base: string): Promise<string> {
  const login = await fetch(`${base}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(ADMIN) });
  if (!login.ok) throw new Error(`login failed: ${login.status}`);
  return ((await login.json()) as { accessToken: string }).accessToken;
}
