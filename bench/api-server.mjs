// Starts the built API (dist/apps/api/main.js) on a fresh data directory, for benchmarks.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import http from 'node:http';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

export const freePort = () =>
  new Promise((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });

/**
 * `main`: the server bundle to run (default this checkout's build); a benchmark that compares two
 * builds (before/after a change) passes the other one.
 */
export async function startApi(env = {}, nodeArgs = [], { main = join(root, 'dist/apps/api/main.js') } = {}) {
  const dataDir = env.DATA_DIR ?? mkdtempSync(join(tmpdir(), 'pieng-bench-'));
  const port = await freePort();
  const child = spawn(process.execPath, [...nodeArgs, main], {
    env: {
      ...process.env,
      DATA_DIR: dataDir,
      PORT: String(port),
      LOG_LEVEL: 'warn',
      LOG_FORMAT: 'json',
      ENABLE_POLLING: 'false',
      ADMIN_EMAIL: BENCH_ADMIN.email,
      ADMIN_PASSWORD: BENCH_ADMIN.password,
      ...env,
    },
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

const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 64 });

/**
 * A call as the benchmark's admin; `server` is what startApi returned; `body` an object or ready
 * JSON text. node:http with keep-alive rather than fetch(): the client shares the machine's two
 * cores with the server, and fetch() costs it about twice the CPU per request, which the server
 * would then not have.
 */
export function api(server, method, path, body) {
  const text = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
  const headers = {
    authorization: `Bearer ${server.token}`,
    ...(text !== undefined && { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }),
  };
  return new Promise((resolve, reject) => {
    const req = http.request(server.url + path, { method, agent: keepAlive, headers }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const answer = Buffer.concat(chunks).toString();
        if (res.statusCode >= 300) reject(new Error(`${method} ${path}: ${res.statusCode} ${answer.slice(0, 300)}`));
        else resolve(answer ? JSON.parse(answer) : undefined);
      });
    });
    req.on('error', reject);
    req.end(text);
  });
}

// PostgreSQL, for the benchmarks that measure it (BENCH_PG).
/** The server URL to create the bench database on (no database name), or undefined when BENCH_PG is not set. */
export function benchPgServer(env = process.env) {
  const v = env.BENCH_PG;
  if (!v || v === '0' || v === 'false') return undefined;
  return v === '1' || v === 'true' ? 'postgres://postgres@127.0.0.1:5432' : v.replace(/\/+$/, '');
}

/** A fresh database with a unique name on the server, and how to drop it. */
export async function createBenchDatabase(server) {
  const name = `pieng_bench_${process.pid}_${Date.now().toString(36)}_${Math.floor(Math.random() * 1e6)}`;
  const { Client } = require('pg');
  const admin = new Client({ connectionString: `${server}/postgres` });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  return {
    url: `${server}/${name}`,
    async drop() {
      const c = new Client({ connectionString: `${server}/postgres` });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

/** The middle of the timings (the upper one of an even count). */
export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** The median time (ms) of `times` runs of fn, one after another. */
export async function timed(times, fn) {
  const ms = [];
  for (let i = 0; i < times; i++) {
    const s = performance.now();
    await fn();
    ms.push(performance.now() - s);
  }
  return median(ms);
}

/** A read-only sqlite3 connection to the server's database, for the baselines a bench measures beside the API. */
export const openReadOnly = (file) => {
  const sqlite3 = require('sqlite3');
  return new Promise((res, rej) => {
    const db = new sqlite3.Database(file, sqlite3.OPEN_READONLY, (e) => (e ? rej(e) : res(db)));
  });
};

export const all = (db, sql, params = []) => new Promise((res, rej) => db.all(sql, params, (e, rows) => (e ? rej(e) : res(rows))));
