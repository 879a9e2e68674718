// Starts the built API (dist/apps/api/main.js) on a fresh data directory, for benchmarks.
import { spawn } from 'node:child_process';
import http from 'node:http';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

export const freePort = () =>
  new Promise((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });

export async function startApi(env = {}, nodeArgs = []) {
  const dataDir = env.DATA_DIR ?? mkdtempSync(join(tmpdir(), 'pieng-bench-'));
  const port = await freePort();
  const child = spawn(process.execPath, [...nodeArgs, join(root, 'dist/apps/api/main.js')], {
    env: { ...process.env, DATA_DIR: dataDir, PORT: String(port), LOG_LEVEL: 'warn', LOG_FORMAT: 'json', ENABLE_POLLING: 'false', ADMIN_EMAIL: BENCH_ADMIN.email, ADMIN_PASSWORD: BENCH_ADMIN.password, ...env },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 200; i++) {
    try {
      const res = await fetch(`${url}/api/health`);
      if (res.ok) break;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const login = await fetch(`${url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(BENCH_ADMIN) });
  const { accessToken } = await login.json();
  return {
    url,
    token: accessToken,
    dataDir,
    child,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

const BENCH_ADMIN = { email: 'bench@pieng.local', password: 'bench-password-1' };

/** A call as the benchmark's admin; `server` is what startApi returned. */
export async function api(server, method, path, body) {
  const res = await fetch(server.url + path, { method, headers: { 'content-type': 'application/json', authorization: `Bearer ${server.token}` }, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body) });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text.slice(0, 300)}`);
  return text ? JSON.parse(text) : undefined;
}

const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 64 });

/**
 * POST of a ready JSON body over node:http with keep-alive. The benchmark client shares the
 * machine's two cores with the server; fetch() costs it about twice the CPU per request, which
 * the server would then not have.
 */
export function postJson(server, path, body) {
  return new Promise((resolve, reject) => {
    const req = http.request(server.url + path, { method: 'POST', agent: keepAlive, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), authorization: `Bearer ${server.token}` } }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        if (res.statusCode >= 300) reject(new Error(`POST ${path}: ${res.statusCode} ${text.slice(0, 300)}`));
        else resolve(text ? JSON.parse(text) : undefined);
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}
