import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { DataSource } from 'typeorm';
import { join } from 'node:path';
import { JwtService } from '@nestjs/jwt';
import request from 'supertest';
import { seedDevice, startTestApp, TEST_ADMIN, TestApp } from '../../testing/test-app';

/** Everything the process writes to stdout/stderr while fn runs. */
async function captureOutput<T>(fn: () => Promise<T>): Promise<{ result: T; output: string }> {
  const chunks: string[] = [];
  const out = jest.spyOn(process.stdout, 'write').mockImplementation((c: string | Uint8Array) => (chunks.push(String(c)), true));
  const err = jest.spyOn(process.stderr, 'write').mockImplementation((c: string | Uint8Array) => (chunks.push(String(c)), true));
  try {
    const result = await fn();
    return { result, output: chunks.join('') };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

describe('first start', () => {
  it('creates an admin with a random password, printed once and written to data/initial-admin-password (0600)', async () => {
    const { result: t, output } = await captureOutput(() => startTestApp({ ADMIN_EMAIL: '', ADMIN_PASSWORD: '', LOG_LEVEL: 'log' }, { loginAsAdmin: false }));
    try {
      const file = join(t.dataDir, 'initial-admin-password');
      const password = readFileSync(file, 'utf8').trim();
      expect(password.length).toBeGreaterThanOrEqual(16);
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(output).toContain(password);
      expect(output).toContain('admin@pieng.local');
      const login = await t.anon.post('/api/auth/login').send({ email: 'admin@pieng.local', password }).expect(200);
      expect(login.body.user).toMatchObject({ role: 'admin', clientId: null, mustChangePassword: true });
      // The JWT secret was generated next to it, readable by this user only.
      expect(statSync(join(t.dataDir, 'jwt-secret')).mode & 0o777).toBe(0o600);
    } finally {
      await t.close();
    }
  });
});

describe('login, refresh, logout', () => {
  let t: TestApp;
  beforeAll(async () => (t = await startTestApp()));
  afterAll(() => t.close());

  it('logs in (email in any case) and answers /api/auth/me', async () => {
    const res = await t.anon.post('/api/auth/login').send({ email: TEST_ADMIN.email.toUpperCase(), password: TEST_ADMIN.password }).expect(200);
    expect(res.body).toMatchObject({ expiresIn: 900, user: { email: TEST_ADMIN.email, role: 'admin', clientId: null } });
    const me = await t.anon.get('/api/auth/me').set('Authorization', `Bearer ${res.body.accessToken}`).expect(200);
    expect(me.body.email).toBe(TEST_ADMIN.email);
    await t.anon.get('/api/auth/me').expect(401);
    await t.anon.get('/api/auth/me').set('Authorization', 'Bearer not-a-token').expect(401);
  });

  it('answers a wrong password and an unknown email alike, in similar time', async () => {
    const time = async (email: string) => {
      const started = performance.now();
      const res = await t.anon.post('/api/auth/login').send({ email, password: 'wrong-password-1' }).expect(401);
      return { ms: performance.now() - started, message: res.body.message };
    };
    const known = await time('timing@test.local'.replace('timing', 'admin'));
    const unknown = await time('nobody@test.local');
    expect(unknown.message).toBe(known.message);
    // Both verify an argon2 hash; an unknown email must not answer in a fraction of the time.
    expect(unknown.ms / known.ms).toBeGreaterThan(0.4);
  });

  it('rotates refresh tokens; reusing a rotated one revokes the whole session', async () => {
    const login = await t.anon.post('/api/auth/login').send(TEST_ADMIN).expect(200);
    const first = login.body.refreshToken;
    const second = (await t.anon.post('/api/auth/refresh').send({ refreshToken: first }).expect(200)).body;
    expect(second.refreshToken).not.toBe(first);
    await t.anon.get('/api/auth/me').set('Authorization', `Bearer ${second.accessToken}`).expect(200);
    const reuse = await t.anon.post('/api/auth/refresh').send({ refreshToken: first }).expect(401);
    expect(reuse.body.message).toMatch(/already used/);
    // The family is gone: the newest token no longer refreshes either.
    await t.anon.post('/api/auth/refresh').send({ refreshToken: second.refreshToken }).expect(401);
  });

  it('logout ends the session', async () => {
    const login = await t.anon.post('/api/auth/login').send(TEST_ADMIN).expect(200);
    expect((await t.anon.post('/api/auth/logout').send({ refreshToken: login.body.refreshToken }).expect(200)).body).toEqual({ loggedOut: true });
    await t.anon.post('/api/auth/refresh').send({ refreshToken: login.body.refreshToken }).expect(401);
  });

  it('changes a password: the old one stops working, every other session ends at once, the one that changed it goes on', async () => {
    const admin = t.http;
    await admin.post('/api/users').send({ email: 'Pat@Test.Local', password: 'first-password-1', role: 'viewer' }).expect(201);
    const login = await t.anon.post('/api/auth/login').send({ email: 'pat@test.local', password: 'first-password-1' }).expect(200);
    const elsewhere = await t.anon.post('/api/auth/login').send({ email: 'pat@test.local', password: 'first-password-1' }).expect(200);
    const auth = `Bearer ${login.body.accessToken}`;
    const wrong = await t.anon
      .patch('/api/auth/password')
      .set('Authorization', auth)
      .send({ currentPassword: 'nope-nope-nope', newPassword: 'second-password-2' })
      .expect(400);
    expect(wrong.body.errors[0].field).toBe('currentPassword');
    await t.anon.patch('/api/auth/password').set('Authorization', auth).send({ currentPassword: 'first-password-1', newPassword: 'short' }).expect(400);
    await t.anon
      .patch('/api/auth/password')
      .set('Authorization', auth)
      .send({ currentPassword: 'first-password-1', newPassword: 'second-password-2' })
      .expect(204);
    // The other session's access token stops now, not when it expires in 15 minutes; its refresh token too.
    const ended = await t.anon.get('/api/auth/me').set('Authorization', `Bearer ${elsewhere.body.accessToken}`).expect(401);
    expect(ended.body.message).toMatch(/password .* was changed/);
    await t.anon.post('/api/auth/refresh').send({ refreshToken: elsewhere.body.refreshToken }).expect(401);
    // The session that changed it goes on, and still refreshes.
    await t.anon.get('/api/auth/me').set('Authorization', auth).expect(200);
    const rotated = await t.anon.post('/api/auth/refresh').send({ refreshToken: login.body.refreshToken }).expect(200);
    await t.anon.get('/api/auth/me').set('Authorization', `Bearer ${rotated.body.accessToken}`).expect(200);
    await t.anon.post('/api/auth/login').send({ email: 'pat@test.local', password: 'first-password-1' }).expect(401);
    await t.anon.post('/api/auth/login').send({ email: 'pat@test.local', password: 'second-password-2' }).expect(200);
    // Emails are unique whatever the case.
    await admin.post('/api/users').send({ email: 'PAT@test.local', password: 'first-password-1', role: 'viewer' }).expect(409);
  }, 30_000);

  it('ends access at once on logout and on a reused refresh token, not when the access token expires', async () => {
    const me = (token: string) => t.anon.get('/api/auth/me').set('Authorization', `Bearer ${token}`);
    const login = await t.anon.post('/api/auth/login').send(TEST_ADMIN).expect(200);
    await me(login.body.accessToken).expect(200);
    await t.anon.post('/api/auth/logout').send({ refreshToken: login.body.refreshToken }).expect(200);
    expect((await me(login.body.accessToken).expect(401)).body.message).toMatch(/session has ended/);

    // Reuse of a rotated refresh token ends the session: every access token of it stops, the newest too.
    const first = (await t.anon.post('/api/auth/login').send(TEST_ADMIN).expect(200)).body;
    const second = (await t.anon.post('/api/auth/refresh').send({ refreshToken: first.refreshToken }).expect(200)).body;
    await me(second.accessToken).expect(200);
    await t.anon.post('/api/auth/refresh').send({ refreshToken: first.refreshToken }).expect(401);
    await me(second.accessToken).expect(401);
    await me(first.accessToken).expect(401);
    // Other sessions of the same user are not touched.
    await t.http.get('/api/auth/me').expect(200);
  }, 30_000);

  it('ends every session of a user at once when an admin resets the password or disables the account', async () => {
    await t.http.post('/api/users').send({ email: 'reset@test.local', password: 'reset-password-1', role: 'viewer' }).expect(201);
    const id = (await t.http.get('/api/users').expect(200)).body.find((u: { email: string }) => u.email === 'reset@test.local').id;
    const session = (await t.anon.post('/api/auth/login').send({ email: 'reset@test.local', password: 'reset-password-1' }).expect(200)).body;
    await t.http.patch(`/api/users/${id}`).send({ password: 'reset-password-2' }).expect(200);
    await t.anon.get('/api/auth/me').set('Authorization', `Bearer ${session.accessToken}`).expect(401);
    await t.anon.post('/api/auth/refresh').send({ refreshToken: session.refreshToken }).expect(401);
    // Disabled and enabled again: the sessions from before stay ended.
    const next = (await t.anon.post('/api/auth/login').send({ email: 'reset@test.local', password: 'reset-password-2' }).expect(200)).body;
    await t.http.patch(`/api/users/${id}`).send({ active: false }).expect(200);
    await t.http.patch(`/api/users/${id}`).send({ active: true }).expect(200);
    await t.anon.get('/api/auth/me').set('Authorization', `Bearer ${next.accessToken}`).expect(401);
    await t.anon.post('/api/auth/refresh').send({ refreshToken: next.refreshToken }).expect(401);
  }, 30_000);

  it('refuses a correctly signed access token that names no session', async () => {
    const admin = (await t.http.get('/api/auth/me').expect(200)).body;
    const jwt = t.app.get(JwtService);
    const unnamed = jwt.sign({ sub: admin.id, role: 'admin', clientId: null, email: admin.email });
    await t.anon.get('/api/auth/me').set('Authorization', `Bearer ${unnamed}`).expect(401);
    // Nor someone else's session under this user's id.
    const other = (await t.anon.post('/api/auth/login').send({ email: 'pat@test.local', password: 'second-password-2' }).expect(200)).body;
    const sid = (jwt.decode(other.accessToken) as { sid: string }).sid;
    await t.anon
      .get('/api/auth/me')
      .set('Authorization', `Bearer ${jwt.sign({ sub: admin.id, sid, role: 'admin', clientId: null, email: admin.email })}`)
      .expect(401);
  });

  it('never writes a password to a log or a response', async () => {
    const secret = 'a-very-distinctive-password-42';
    const { output } = await captureOutput(async () => {
      const created = await t.http.post('/api/users').send({ email: 'leak@test.local', password: secret, role: 'viewer' }).expect(201);
      expect(JSON.stringify(created.body)).not.toContain(secret);
      expect(JSON.stringify(created.body)).not.toMatch(/hash/i);
      await t.anon
        .post('/api/auth/login')
        .send({ email: 'leak@test.local', password: secret + 'x' })
        .expect(401);
      const ok = await t.anon.post('/api/auth/login').send({ email: 'leak@test.local', password: secret }).expect(200);
      expect(JSON.stringify(ok.body)).not.toContain(secret);
      const users = await t.http.get('/api/users').expect(200);
      expect(JSON.stringify(users.body)).not.toMatch(/argon2|password/i);
    });
    expect(output).not.toContain(secret);
  });
});

describe('sessions across instances', () => {
  it('ends access on one instance when the session ends through another (the state is in the shared database)', async () => {
    const first = await startTestApp({ JWT_SECRET: 'one-secret-for-both-instances-0123456789' });
    const db = first.config.database;
    const second = await startTestApp({
      JWT_SECRET: 'one-secret-for-both-instances-0123456789',
      DATABASE_URL: db.type === 'sqlite' ? `sqlite:${db.path}` : db.url,
    });
    try {
      const session = (await first.anon.post('/api/auth/login').send(TEST_ADMIN).expect(200)).body;
      const me = (t: TestApp) => t.anon.get('/api/auth/me').set('Authorization', `Bearer ${session.accessToken}`);
      await me(first).expect(200);
      await me(second).expect(200);
      await second.anon.post('/api/auth/logout').send({ refreshToken: session.refreshToken }).expect(200);
      await me(first).expect(401);
      await me(second).expect(401);
    } finally {
      await second.close();
      await first.close();
    }
  }, 60_000);
});

describe('login throttling', () => {
  let t: TestApp;
  beforeAll(async () => (t = await startTestApp()));
  afterAll(() => t.close());

  it('answers 429 with Retry-After after 5 failed logins for an account, even with the right password', async () => {
    await t.http.post('/api/users').send({ email: 'target@test.local', password: 'right-password-1', role: 'viewer' }).expect(201);
    for (let i = 0; i < 5; i++)
      await t.anon
        .post('/api/auth/login')
        .send({ email: 'target@test.local', password: `guess-${i}-xxxxx` })
        .expect(401);
    const locked = await t.anon.post('/api/auth/login').send({ email: 'target@test.local', password: 'right-password-1' }).expect(429);
    const retryAfter = Number(locked.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(800);
    expect(retryAfter).toBeLessThanOrEqual(900);
    // Other accounts are not affected.
    await t.anon.post('/api/auth/login').send(TEST_ADMIN).expect(200);
  }, 30_000);

  it('answers 429 after 20 failed logins from one address across accounts', async () => {
    for (let i = 0; i < 14; i++)
      await t.anon
        .post('/api/auth/login')
        .send({ email: `someone${i}@test.local`, password: 'wrong-password-x' })
        .expect(401);
    // 5 + 1 failures above and 14 here: the 21st attempt from this address is refused.
    await t.anon.post('/api/auth/login').send({ email: 'someone-else@test.local', password: 'wrong-password-x' }).expect(401);
    await t.anon.post('/api/auth/login').send(TEST_ADMIN).expect(429);
  }, 30_000);
});

describe('roles and API keys', () => {
  let t: TestApp;
  let a: { clientId: number; deviceId: number };
  let b: { clientId: number; deviceId: number };
  beforeAll(async () => {
    t = await startTestApp();
    a = await seedDevice(t.http, 'Meter A', 'Client A');
    b = await seedDevice(t.http, 'Meter B', 'Client B');
  });
  afterAll(() => t.close());

  it('lets a viewer read but not write', async () => {
    const viewer = await t.userAgent('viewer', a.clientId);
    await viewer.get('/api/devices').expect(200);
    const res = await viewer.post('/api/alarms/rules').send({ clientId: a.clientId, name: 'x', metric: 'voltage', operator: '>', threshold: 1 }).expect(403);
    expect(res.body.message).toMatch(/viewer/);
  });

  it("keeps a client's operator inside its client and its role", async () => {
    const operator = await t.userAgent('operator', a.clientId);
    // Own client: fine, and the clientId is filled in.
    const created = await operator.post('/api/users').send({ email: 'colleague@test.local', password: 'colleague-pass-1', role: 'viewer' }).expect(201);
    expect(created.body.clientId).toBe(a.clientId);
    // No raising roles, no platform staff, no other client.
    await operator.post('/api/users').send({ email: 'boss@test.local', password: 'boss-password-1', role: 'admin' }).expect(403);
    await operator.post('/api/users').send({ email: 'staff@test.local', password: 'staff-password-1', role: 'viewer', clientId: null }).expect(403);
    await operator.post('/api/users').send({ email: 'other@test.local', password: 'other-password-1', role: 'viewer', clientId: b.clientId }).expect(404);
    const listed = await operator.get('/api/users').expect(200);
    expect(listed.body.every((u: { clientId: number }) => u.clientId === a.clientId)).toBe(true);
    // Clients are the platform's business.
    await operator.post('/api/clients').send({ name: 'Mine now' }).expect(403);
  });

  it('accepts an ingest key on /api/ingest for its own client only, shown once and stored hashed', async () => {
    const created = await t.http.post('/api/api-keys').send({ name: 'gateway A', scope: 'ingest', clientId: a.clientId }).expect(201);
    const key = created.body.key as string;
    expect(key).toMatch(/^pm_/);
    const listed = await t.http.get('/api/api-keys').expect(200);
    expect(JSON.stringify(listed.body)).not.toContain(key);
    const stored = await t.app.get(DataSource).query('SELECT * FROM api_keys');
    expect(JSON.stringify(stored)).not.toContain(key);
    expect(stored[0].key_hash).toBe(createHash('sha256').update(key).digest('hex'));

    const reading = (deviceId: number) => ({ readings: [{ deviceId, timestamp: '2026-11-26T10:00:00Z', metrics: { voltage: 230 } }] });
    await t.anon.post('/api/ingest').set('X-API-Key', key).send(reading(a.deviceId)).expect(200);
    await t.anon.post('/api/ingest').set('X-API-Key', key).send(reading(b.deviceId)).expect(404);
    await t.anon.get('/api/devices').set('X-API-Key', key).expect(403);
    const after = await t.http.get('/api/api-keys').expect(200);
    expect(after.body.find((k: { id: number }) => k.id === created.body.id).lastUsedAt).not.toBeNull();

    await t.http.delete(`/api/api-keys/${created.body.id}`).expect(204);
    await t.anon.post('/api/ingest').set('X-API-Key', key).send(reading(a.deviceId)).expect(401);
  });

  it('lets a read key read its own client only, and nothing else', async () => {
    const operator = await t.userAgent('operator', b.clientId);
    const created = await operator.post('/api/api-keys').send({ name: 'dashboard B', scope: 'read' }).expect(201);
    expect(created.body.clientId).toBe(b.clientId);
    const key = created.body.key;
    const devices = await t.anon.get('/api/devices').set('X-API-Key', key).expect(200);
    expect(devices.body.map((d: { id: number }) => d.id)).toEqual([b.deviceId]);
    await t.anon.get(`/api/devices/${a.deviceId}`).set('X-API-Key', key).expect(404);
    await t.anon
      .post('/api/ingest')
      .set('X-API-Key', key)
      .send({ readings: [{ deviceId: b.deviceId, metrics: { voltage: 1 } }] })
      .expect(403);
    await t.anon.get('/api/devices').set('X-API-Key', 'pm_wrong').expect(401);
  });

  it('stops a disabled user at once', async () => {
    await t.http.post('/api/users').send({ email: 'leaver@test.local', password: 'leaver-password-1', role: 'operator', clientId: a.clientId }).expect(201);
    const agent = await t.loginAs('leaver@test.local', 'leaver-password-1');
    const users = await t.http.get('/api/users').expect(200);
    const id = users.body.find((u: { email: string }) => u.email === 'leaver@test.local').id;
    await t.http.patch(`/api/users/${id}`).send({ active: false }).expect(200);
    await agent.get('/api/devices').expect(401);
    await request(t.url).post('/api/auth/login').send({ email: 'leaver@test.local', password: 'leaver-password-1' }).expect(401);
  });
});
