import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Client as PgClient } from 'pg';
import * as sqlite3 from 'sqlite3';
import { API_MAIN, ApiProcess } from './api-process';

/**
 * For the system suites that stop the server in the middle of ingest (kill -9, a full disk) and
 * then check, without the server's own verifier, that the audit trail and the database hold the
 * same readings and that every acknowledged reading is stored.
 */
export const READINGS_PER_BATCH = 50;
const T0 = Date.UTC(2026, 10, 29, 0, 0, 0);

/** Batch b of a device: readings b*50 .. b*50+49, one second apart, each with three metrics. */
export function batchBody(deviceId: number, b: number): { readings: Array<{ deviceId: number; timestamp: number; metrics: Record<string, number> }> } {
  return {
    readings: Array.from({ length: READINGS_PER_BATCH }, (_, k) => {
      const i = b * READINGS_PER_BATCH + k;
      return { deviceId, timestamp: T0 + i * 1000, metrics: { voltage: 220 + (i % 300) / 10, current: (i % 97) / 8, energy: 1000 + i } };
    }),
  };
}

/** The keys (device|metric|ts) of a batch's values. */
export function batchKeys(deviceId: number, b: number): string[] {
  return batchBody(deviceId, b).readings.flatMap((r) => Object.keys(r.metrics).map((m) => `${deviceId}|${m}|${r.timestamp}`));
}

/** POST /api/ingest as the admin; a connection that breaks (the server was killed) is status 0. */
export async function postBatch(api: ApiProcess, body: unknown): Promise<{ status: number; body: { message?: string; stored?: number } }> {
  try {
    const res = await fetch(`${api.url}/api/ingest`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${api.token}` },
      body: JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : {} };
  } catch {
    return { status: 0, body: {} };
  }
}

/** Every value the audit file names (device|metric|ts), read line by line; a repeated value throws. */
export function auditedKeys(path: string): Set<string> {
  const keys = new Set<string>();
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (!line) continue;
    const record = JSON.parse(line) as { deviceId: number; ts: string; metrics: Record<string, number> };
    for (const metric of Object.keys(record.metrics)) {
      const key = `${record.deviceId}|${metric}|${Date.parse(record.ts)}`;
      if (keys.has(key)) throw new Error(`the audit trail names ${key} twice`);
      keys.add(key);
    }
  }
  return keys;
}

/** Every value in the measurements table (device|metric|ts), read on a connection of its own. */
export async function storedKeys(database: { sqlitePath: string } | { pgUrl: string }): Promise<Set<string>> {
  const sql = 'SELECT device_id, metric, ts FROM measurements';
  let rows: Array<{ device_id: number; metric: string; ts: number | string }>;
  if ('pgUrl' in database) {
    const client = new PgClient({ connectionString: database.pgUrl });
    await client.connect();
    rows = (await client.query(sql)).rows;
    await client.end();
  } else {
    const db = await new Promise<sqlite3.Database>((ok, fail) => {
      const c: sqlite3.Database = new sqlite3.Database(database.sqlitePath, sqlite3.OPEN_READONLY, (err) => (err ? fail(err) : ok(c)));
    });
    rows = await new Promise((ok, fail) => db.all(sql, (err, r) => (err ? fail(err) : ok(r as typeof rows))));
    await new Promise((ok) => db.close(ok));
  }
  return new Set(rows.map((r) => `${r.device_id}|${r.metric}|${Number(r.ts)}`));
}

/** `main.js audit-verify` as an operator runs it (npm run audit:verify), with the server's settings. */
export function runAuditVerify(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [API_MAIN, 'audit-verify'], {
      env: { PATH: process.env['PATH'] ?? '', TZ: 'UTC', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (b: Buffer) => (output += b.toString()));
    child.stderr.on('data', (b: Buffer) => (output += b.toString()));
    child.on('exit', (code) => resolve({ code, output }));
  });
}

/** The keys of a that are not in b (at most 5, for a readable failure). */
export function firstMissing(a: Iterable<string>, b: Set<string>): string[] {
  const out: string[] = [];
  for (const k of a) if (!b.has(k) && out.push(k) >= 5) break;
  return out;
}
