import { ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { freePort } from './free-port';
import { waitFor } from './wait';

/**
 * The built server (dist/apps/api/main.js) as a real process, for the system suites that kill it
 * (SIGKILL, SIGTERM) and start it again on the same data. CI builds before the system suite.
 */
export const API_MAIN = join(resolve(__dirname, '../../../..'), 'dist/apps/api/main.js');

/** Without the build these suites fail with the command to run; they are never skipped. */
export function requireBuiltApi(): void {
  if (!existsSync(API_MAIN)) throw new Error(`${API_MAIN} not found: run npm run build first`);
}

export interface ApiProcess {
  name: string;
  port: number;
  url: string;
  dataDir: string;
  /** What the process was started with (beyond the defaults below), to start it again the same way. */
  env: Record<string, string>;
  child: ChildProcess;
  /** Its stdout and stderr, shown when it exits early. */
  output: string[];
  /** An access token of `admin`. */
  token: string;
}

export interface ApiProcessOptions {
  name: string;
  dataDir: string;
  /** The first admin, created on the first start and logged in as. */
  admin: { email: string; password: string };
  env?: Record<string, string>;
  /** Same port as before when restarting (default: a free one). */
  port?: number;
  /** How long the start may take (default 30 s). */
  withinMs?: number;
}

/** Starts the built server, waits for /api/health and logs in as the admin. */
export async function startApiProcess(options: ApiProcessOptions): Promise<ApiProcess> {
  const port = options.port ?? (await freePort());
  const env = options.env ?? {};
  const output: string[] = [];
  const child = spawn(process.execPath, [API_MAIN], {
    env: {
      PATH: process.env['PATH'] ?? '',
      TZ: 'UTC',
      LOG_LEVEL: 'warn',
      LOG_FORMAT: 'json',
      APP_NAME: options.name,
      PORT: String(port),
      DATA_DIR: options.dataDir,
      ENABLE_POLLING: 'false',
      ADMIN_EMAIL: options.admin.email,
      ADMIN_PASSWORD: options.admin.password,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (b: Buffer) => output.push(b.toString()));
  child.stderr?.on('data', (b: Buffer) => output.push(b.toString()));
  const url = `http://127.0.0.1:${port}`;
  await waitFor(
    `${options.name} to answer /api/health`,
    async () => {
      if (child.exitCode !== null) throw new Error(`${options.name} exited ${child.exitCode}: ${output.join('')}`);
      return (await fetch(`${url}/api/health`)).ok;
    },
    options.withinMs ?? 30_000,
    250,
  );
  const login = await fetch(`${url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(options.admin) });
  const { accessToken } = (await login.json()) as { accessToken: string };
  return { name: options.name, port, url, dataDir: options.dataDir, env, child, output, token: accessToken };
}

/** Sends the signal and waits for the exit; nothing when the process has already gone. */
export async function stopApiProcess(api: ApiProcess, signal: NodeJS.Signals): Promise<void> {
  if (api.child.exitCode !== null || api.child.signalCode !== null) return;
  const exited = new Promise((r) => api.child.once('exit', r));
  api.child.kill(signal);
  await exited;
}

/** A call as the admin; a non-2xx answer throws with the status and body. */
export async function apiCall<T = unknown>(api: ApiProcess, method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(api.url + path, {
    method,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${api.token}` },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path} on ${api.name}: ${res.status} ${text}`);
  return (text ? JSON.parse(text) : undefined) as T;
}
