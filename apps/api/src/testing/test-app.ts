import type { INestApplication } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client as PgClient } from 'pg';
import request from 'supertest';
import { createApp } from '../app/bootstrap';
import { AppConfig, loadConfig } from '../app/config/app-config';

/** PostgreSQL server the pg suite uses (npm run test:pg); each test app gets a database of its own. */
export const TEST_PG_URL = process.env['TEST_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432';
export const usesPostgres = () => process.env['TEST_DATABASE'] === 'postgres';

export const TEST_ADMIN = { email: 'admin@test.local', password: 'admin-password-123' };

/** The SECRETS_KEY test apps on PostgreSQL share (required there; one per test process, never a constant). */
export const TEST_SECRETS_KEY = randomBytes(32).toString('base64');

type Agent = ReturnType<typeof request.agent>;

export interface TestApp {
  app: INestApplication;
  url: string;
  config: AppConfig;
  dataDir: string;
  /** Calls as the platform admin (Bearer token set). */
  http: Agent;
  /** The admin's access token, for clients other than supertest. */
  adminToken: string;
  /** Calls with no credentials. */
  anon: ReturnType<typeof request>;
  /** An agent logged in as another user. */
  loginAs(email: string, password: string): Promise<Agent>;
  /** Creates a user (as the admin) and returns an agent logged in as it. */
  userAgent(role: 'admin' | 'operator' | 'viewer', clientId: number | null): Promise<Agent>;
  close(): Promise<void>;
}

/** A fresh PostgreSQL database on the test server, and how to drop it. */
export async function createPgDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `pieng_test_${process.pid}_${Date.now().toString(36)}_${Math.floor(Math.random() * 1e6)}`;
  const admin = new PgClient({ connectionString: `${TEST_PG_URL}/postgres` });
  await admin.connect().catch((err) => {
    throw new Error(`PostgreSQL is not reachable at ${TEST_PG_URL} (${err.message}); start it or set TEST_PG_URL`);
  });
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  return {
    url: `${TEST_PG_URL}/${name}`,
    drop: async () => {
      const c = new PgClient({ connectionString: `${TEST_PG_URL}/postgres` });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

/** The real application on a temporary database, listening on a loopback port. */
export async function startTestApp(env: Record<string, string> = {}, options: { loginAsAdmin?: boolean } = {}): Promise<TestApp> {
  const dataDir = mkdtempSync(join(tmpdir(), 'pieng-test-'));
  const pg = usesPostgres() && !env['DATABASE_URL'] ? await createPgDatabase() : undefined;
  const config = loadConfig({
    DATA_DIR: dataDir,
    LOG_LEVEL: 'error',
    LOG_FORMAT: 'json',
    ENABLE_POLLING: 'false',
    // Scheduled reports go out when a spec ticks the sender with its own clock, never on the wall clock's day.
    REPORT_SCHEDULE_CHECK_MS: '0',
    ADMIN_EMAIL: TEST_ADMIN.email,
    ADMIN_PASSWORD: TEST_ADMIN.password,
    ...(pg && { DATABASE_URL: pg.url }),
    ...((pg || env['DATABASE_URL']?.startsWith('postgres')) && { SECRETS_KEY: TEST_SECRETS_KEY }),
    ...env,
  });
  const app = await createApp(config);
  // A test may close the app itself (what SIGTERM does); close() afterwards must not run the shutdown hooks twice.
  const closeOnce = app.close.bind(app);
  let closing: Promise<void> | undefined;
  app.close = () => (closing ??= closeOnce());
  await app.listen(0, '127.0.0.1');
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  const tokenFor = async (email: string, password: string): Promise<string> => {
    const res = await request(url).post('/api/auth/login').send({ email, password });
    if (res.status !== 200) throw new Error(`login as ${email} failed: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body.accessToken;
  };
  const loginAs = async (email: string, password: string) => request.agent(url).set('Authorization', `Bearer ${await tokenFor(email, password)}`);
  const adminToken = options.loginAsAdmin === false ? '' : await tokenFor(config.adminEmail ?? TEST_ADMIN.email, config.adminPassword ?? TEST_ADMIN.password);
  const http = request.agent(url).set('Authorization', `Bearer ${adminToken}`);
  let users = 0;
  return {
    app,
    url,
    config,
    dataDir,
    http,
    adminToken,
    anon: request(url),
    loginAs,
    userAgent: async (role, clientId) => {
      const email = `${role}${++users}@test.local`;
      await http.post('/api/users').send({ email, password: 'user-password-123', role, clientId }).expect(201);
      return loginAs(email, 'user-password-123');
    },
    close: async () => {
      await app.close();
      await pg?.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A client and a device of type api, ready for ingest. */
export async function seedDevice(http: Agent, name = 'Meter A', clientName = 'Client A'): Promise<{ clientId: number; deviceId: number; uid: string }> {
  const client = await http.post('/api/clients').send({ name: clientName }).expect(201);
  const device = await http.post('/api/devices').send({ clientId: client.body.id, name, deviceType: 'api' }).expect(201);
  return { clientId: client.body.id, deviceId: device.body.id, uid: device.body.uid };
}
