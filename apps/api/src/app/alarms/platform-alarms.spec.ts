import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { statfs } from 'node:fs/promises';
import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { createPgDatabase, seedDevice, startTestApp, TEST_SECRETS_KEY, TestApp, usesPostgres } from '../../testing/test-app';
import { waitFor } from '../../testing/wait';
import { BackupService } from '../backup/backup.service';
import { loadConfig } from '../config/app-config';
import { dataSourceOptions } from '../database/database.module';
import { Database } from '../database/database.service';
import { MIGRATIONS } from '../database/migrations';
import { PlatformAlarms1764350000000 } from '../database/migrations/1764350000000-platform-alarms';
import { startWebhookReceiver } from '../notifications/notification-test-kit';
import { AlarmTimer } from './alarm-timer';

type Agent = TestApp['http'];
interface EventBody {
  id: number;
  ruleId: number;
  ruleType: string;
  deviceId: number | null;
  value: number;
  unit: string | null;
  active: boolean;
  details: string;
}

/** A next instance that refuses every forwarded batch with 500 until told otherwise. */
async function startForwardTarget() {
  const state = { status: 500, requests: 0 };
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      state.requests++;
      res
        .writeHead(state.status, { 'content-type': 'application/json' })
        .end(JSON.stringify(state.status === 500 ? { statusCode: 500, message: 'slave down' } : { stored: 1 }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { state, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise<void>((r) => server.close(() => r())) };
}

/**
 * Platform alarms (issue 15) with the real parts: the data directory's file system, a scheduled
 * backup into an unusable BACKUP_DIR, a forwarding target answering 500, a platform-wide webhook
 * channel. The alarm timer's platform round is driven by hand (checkPlatform) at chosen times.
 */
describe('platform alarms', () => {
  let t: TestApp;
  let root: string;
  let backupDir: string;
  let hook: Awaited<ReturnType<typeof startWebhookReceiver>>;
  let target: Awaited<ReturnType<typeof startForwardTarget>>;
  let timer: AlarmTimer;
  let channelId: number;
  let client: { clientId: number; deviceId: number };
  let clientUser: Agent;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'pieng-platform-alarms-'));
    backupDir = join(root, 'backups');
    hook = await startWebhookReceiver();
    target = await startForwardTarget();
    t = await startTestApp({
      BACKUP_DIR: backupDir,
      FORWARDER_URL: target.url,
      FORWARDER_BACKOFF_MIN_MS: '50',
      FORWARDER_BACKOFF_MAX_MS: '200',
      NOTIFICATION_RETRY_MIN_MS: '100',
      NOTIFICATION_RETRY_MAX_MS: '400',
    });
    timer = t.app.get(AlarmTimer);
    const channel = (
      await t.http
        .post('/api/notification-channels')
        .send({ clientId: null, name: 'Ops on call', type: 'webhook', config: { url: hook.url }, on: ['raised', 'cleared'] })
        .expect(201)
    ).body;
    channelId = channel.id;
    hook.state.secret = channel.secret;
    client = await seedDevice(t.http, 'Main panel', 'Client A');
    clientUser = await t.userAgent('admin', client.clientId);
  });
  afterAll(async () => {
    await t?.close();
    await hook?.close();
    await target?.close();
    rmSync(root, { recursive: true, force: true });
  });

  const eventsOf = async (ruleId: number, agent: Agent = t.http): Promise<EventBody[]> =>
    ((await agent.get('/api/alarms/events').query({ limit: 500 }).expect(200)).body as EventBody[]).filter((e) => e.ruleId === ruleId);
  const hooksOf = (ruleId: number) => hook.state.accepted.filter((h) => (h.body['data'] as { ruleId: number }).ruleId === ruleId);

  it('is made by platform staff only, with platform-wide channels; bad input is a 400 naming the field', async () => {
    const rule = { name: 'Disk low', type: 'diskSpace', threshold: 500 };
    await clientUser.post('/api/alarms/rules').send(rule).expect(403);
    await clientUser
      .post('/api/alarms/rules')
      .send({ ...rule, clientId: client.clientId })
      .expect(403);
    const fields = async (body: Record<string, unknown>) => [
      ...new Set(((await t.http.post('/api/alarms/rules').send(body).expect(400)).body.errors as { field: string }[]).map((e) => e.field)),
    ];
    expect(await fields({ ...rule, deviceId: client.deviceId })).toEqual(['deviceId']);
    expect(await fields({ ...rule, metric: 'voltage' })).toEqual(['metric']);
    expect(await fields({ ...rule, clientId: client.clientId })).toEqual(['clientId']);
    expect(await fields({ ...rule, operator: '>' })).toEqual(['operator']);
    expect(await fields({ name: 'Stuck', type: 'forwardingStuck' })).toEqual(['threshold']);
    expect(await fields({ ...rule, threshold: 0 })).toEqual(['threshold']);
    expect(await fields({ name: 'Backup', type: 'backupFailed', threshold: 5 })).toEqual(usesPostgres() ? ['threshold', 'type'] : ['threshold']);
    // A client's channel cannot carry a platform alarm.
    const own = (
      await t.http
        .post('/api/notification-channels')
        .send({ clientId: client.clientId, name: 'A mail', type: 'email', config: { to: ['a@plant.example'] } })
        .expect(201)
    ).body;
    expect(await fields({ ...rule, channelIds: [own.id] })).toEqual(['channelIds[0]']);
    // A device rule still needs its client; a platform rule does not become a client's.
    expect(await fields({ name: 'Volts', type: 'threshold', metric: 'voltage', operator: '>', threshold: 242 })).toEqual(['clientId']);
    const made = (await t.http.post('/api/alarms/rules').send(rule).expect(201)).body;
    expect(made).toMatchObject({ clientId: null, deviceId: null, type: 'diskSpace', metric: null, operator: '<', threshold: 500 });
    expect((await t.http.patch(`/api/alarms/rules/${made.id}`).send({ type: 'threshold' }).expect(400)).body.errors[0].field).toBe('type');
    expect((await t.http.patch(`/api/alarms/rules/${made.id}`).send({ deviceId: client.deviceId }).expect(400)).body.errors[0].field).toBe('deviceId');
    await t.http.delete(`/api/alarms/rules/${made.id}`).expect(204);
  });

  it('raises diskSpace below the threshold after its on-delay, tells the platform channel, and clears when the threshold is lowered; a client sees none of it', async () => {
    const rule = (
      await t.http
        .post('/api/alarms/rules')
        .send({ name: 'Disk low', type: 'diskSpace', threshold: 1e12, onDelaySec: 60, severity: 'critical', channelIds: [channelId] })
        .expect(201)
    ).body;
    const now = Date.now();
    await timer.checkPlatform(now);
    expect(await eventsOf(rule.id)).toEqual([]);
    await timer.checkPlatform(now + 60_000);
    const [event] = await eventsOf(rule.id);
    const fs = await statfs(t.dataDir);
    const freeMb = (Number(fs.bavail) * Number(fs.bsize)) / 1024 / 1024;
    expect(event).toMatchObject({ ruleType: 'diskSpace', deviceId: null, unit: 'MB', active: true });
    expect(Math.abs(event.value - freeMb)).toBeLessThan(Math.max(100, freeMb * 0.05));
    expect(event.details).toContain('MB free in the data directory');

    const raised = await waitFor('the raised webhook', async () => hooksOf(rule.id)[0]);
    expect(raised.body).toMatchObject({
      type: 'alarm.raised',
      data: { deviceId: null, clientId: null, ruleType: 'diskSpace', unit: 'MB', operator: '<', threshold: 1e12 },
    });
    expect((raised.body['data'] as { text: string }).text).toContain('Condition: Free disk space in the data directory');

    // The client's user: no rule, no event, no history, nothing to acknowledge, nothing counted.
    expect(((await clientUser.get('/api/alarms/rules').expect(200)).body as { id: number }[]).map((r) => r.id)).not.toContain(rule.id);
    await clientUser.get(`/api/alarms/rules/${rule.id}`).expect(404);
    await clientUser.patch(`/api/alarms/rules/${rule.id}`).send({ threshold: 1 }).expect(404);
    await clientUser.delete(`/api/alarms/rules/${rule.id}`).expect(404);
    expect(await eventsOf(rule.id, clientUser)).toEqual([]);
    await clientUser.get(`/api/alarms/events/${event.id}/history`).expect(404);
    await clientUser.post(`/api/alarms/events/${event.id}/ack`).send({}).expect(404);
    await clientUser
      .post(`/api/alarms/events/${event.id}/shelve`)
      .send({ until: new Date(Date.now() + 3_600_000).toISOString(), reason: 'no' })
      .expect(404);
    expect((await clientUser.get('/api/alarms/events/counts').expect(200)).body).toEqual({ activeUnacknowledged: 0, activeAcknowledged: 0, shelved: 0 });
    expect((await t.http.get('/api/alarms/events/counts').expect(200)).body.activeUnacknowledged).toBeGreaterThanOrEqual(1);

    // Staff acknowledge it as any other event.
    await t.http.post(`/api/alarms/events/${event.id}/ack`).send({ comment: 'Ordering a bigger disk' }).expect(200);

    // A lower threshold (well under what is free) is a changed condition: the event clears, and the next round raises nothing.
    await t.http.patch(`/api/alarms/rules/${rule.id}`).send({ threshold: 1 }).expect(200);
    await timer.checkPlatform(now + 120_000);
    await timer.checkPlatform(now + 240_000);
    const after = await eventsOf(rule.id);
    expect(after.map((e) => [e.id, e.active])).toEqual([[event.id, false]]);
    const history = (await t.http.get(`/api/alarms/events/${event.id}/history`).expect(200)).body as { kind: string }[];
    expect(history.map((h) => h.kind)).toEqual(['raised', 'acknowledged', 'cleared']);
    await waitFor('the cleared webhook', async () => hooksOf(rule.id).find((h) => h.body['type'] === 'alarm.cleared'));
    await t.http.patch(`/api/alarms/rules/${rule.id}`).send({ enabled: false }).expect(200);
  });

  it('raises backupFailed when a scheduled backup fails and clears it with the next good one (SQLite; refused on PostgreSQL, which makes no backups)', async () => {
    if (usesPostgres()) {
      const refused = await t.http.post('/api/alarms/rules').send({ name: 'Backup failed', type: 'backupFailed' }).expect(400);
      expect(refused.body.errors.map((e: { field: string }) => e.field)).toEqual(['type']);
      return;
    }
    const rule = (
      await t.http
        .post('/api/alarms/rules')
        .send({ name: 'Backup failed', type: 'backupFailed', channelIds: [channelId] })
        .expect(201)
    ).body;
    expect(rule).toMatchObject({ operator: '>=', threshold: 1 });
    const backups = t.app.get(BackupService);
    // BACKUP_DIR is a file: the backup cannot be written.
    writeFileSync(backupDir, 'not a directory');
    await expect(backups.runScheduledBackup()).rejects.toThrow();
    expect(await backups.lastScheduled()).toMatchObject({ ok: false });
    const now = Date.now();
    await timer.checkPlatform(now);
    const [event] = await eventsOf(rule.id);
    expect(event).toMatchObject({ ruleType: 'backupFailed', deviceId: null, value: 1, unit: null, active: true });
    const raised = await waitFor('the raised webhook', async () => hooksOf(rule.id)[0]);
    expect((raised.body['data'] as { text: string }).text).toContain('Condition: Last scheduled backup failed');

    rmSync(backupDir);
    await backups.runScheduledBackup();
    await timer.checkPlatform(now + 30_000);
    expect((await eventsOf(rule.id)).map((e) => e.active)).toEqual([false]);
    await waitFor('the cleared webhook', async () => hooksOf(rule.id).find((h) => h.body['type'] === 'alarm.cleared'));
    await t.http.patch(`/api/alarms/rules/${rule.id}`).send({ enabled: false }).expect(200);
  });

  it('raises forwardingStuck when the oldest reading to forward waits N minutes, and clears after its off-delay once the outbox drains', async () => {
    const rule = (
      await t.http
        .post('/api/alarms/rules')
        .send({ name: 'Forwarding stuck', type: 'forwardingStuck', threshold: 1, offDelaySec: 60, channelIds: [channelId] })
        .expect(201)
    ).body;
    await t.http
      .post('/api/ingest')
      .send({ readings: [{ deviceId: client.deviceId, timestamp: new Date().toISOString(), metrics: { voltage: 230 } }] })
      .expect(200);
    const queued = Date.now();
    await waitFor('the target refusing a batch', async () => target.state.requests > 0);
    await timer.checkPlatform(queued + 30_000);
    expect(await eventsOf(rule.id)).toEqual([]);
    await timer.checkPlatform(queued + 120_000);
    const [event] = await eventsOf(rule.id);
    expect(event).toMatchObject({ ruleType: 'forwardingStuck', deviceId: null, unit: 'min', active: true });
    expect(event.value).toBeGreaterThanOrEqual(1.9);
    expect(event.value).toBeLessThan(3);
    const raised = await waitFor('the raised webhook', async () => hooksOf(rule.id)[0]);
    expect((raised.body['data'] as { text: string }).text).toContain('Condition: Forwarding to the next instance stuck');
    expect(await eventsOf(rule.id, clientUser)).toEqual([]);

    // The next instance is back: the outbox drains, and the alarm clears once clear for its off-delay.
    target.state.status = 200;
    await waitFor('the outbox drained', async () => (await t.http.get('/api/forwarding/status').expect(200)).body.pending === 0);
    await timer.checkPlatform(queued + 180_000);
    expect((await eventsOf(rule.id)).map((e) => e.active)).toEqual([true]);
    await timer.checkPlatform(queued + 240_000);
    expect((await eventsOf(rule.id)).map((e) => e.active)).toEqual([false]);
    const history = (await t.http.get(`/api/alarms/events/${event.id}/history`).expect(200)).body as { kind: string }[];
    expect(history.map((h) => h.kind)).toEqual(['raised', 'cleared']);
    await waitFor('the cleared webhook', async () => hooksOf(rule.id).find((h) => h.body['type'] === 'alarm.cleared'));
  });
});

describe('upgrading a database made before platform alarms', () => {
  it('keeps rules, events, their history and states, ids, indexes and triggers (SQLite rebuilds the tables)', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'pieng-platform-alarms-upgrade-'));
    const pg = usesPostgres() ? await createPgDatabase() : undefined;
    const env = { DATA_DIR: dataDir, ...(pg && { DATABASE_URL: pg.url, SECRETS_KEY: TEST_SECRETS_KEY }) };
    let t: TestApp | undefined;
    try {
      const old = new DataSource({
        ...dataSourceOptions(loadConfig(env)),
        migrations: MIGRATIONS.slice(0, MIGRATIONS.indexOf(PlatformAlarms1764350000000)),
        migrationsRun: false,
      });
      await old.initialize();
      await old.runMigrations();
      const sql = (text: string) => {
        let n = 0;
        return pg ? text.replace(/\?/g, () => `$${++n}`) : text;
      };
      const bool = (v: boolean) => (pg ? v : v ? 1 : 0);
      const base = Date.UTC(2026, 10, 29, 10);
      const run = (text: string, params: unknown[]) => old.query(sql(text), params);
      await run('INSERT INTO clients (name, created_at) VALUES (?, ?)', ['Old client', base]);
      const [{ id: clientId }] = await old.query('SELECT id FROM clients');
      await run(
        `INSERT INTO devices (uid, client_id, name, device_type, active, poll_interval_sec, config, consecutive_failures, created_at) VALUES ('u-1', ?, 'Old meter', 'api', ?, 30, '{}', 0, ?)`,
        [clientId, bool(true), base],
      );
      const [{ id: deviceId }] = await old.query('SELECT id FROM devices');
      await run(
        `INSERT INTO alarm_rules (client_id, device_id, name, metric, operator, threshold, enabled, created_at, type, severity) VALUES (?, ?, 'High voltage', 'voltage', '>', 240, ?, ?, 'threshold', 'critical')`,
        [clientId, deviceId, bool(true), base],
      );
      const [{ id: ruleId }] = await old.query('SELECT id FROM alarm_rules');
      for (const [raised, cleared] of [
        [base, base + 60_000],
        [base + 120_000, null],
        [base + 180_000, base + 200_000],
      ]) {
        await run(
          `INSERT INTO alarm_events (rule_id, device_id, metric, value, raised_at, cleared_at, acknowledged, details, severity) VALUES (?, ?, 'voltage', 250, ?, ?, ?, 'High voltage: voltage 250 > 240', 'critical')`,
          [ruleId, deviceId, raised, cleared, bool(false)],
        );
      }
      const events = ((await old.query('SELECT id FROM alarm_events ORDER BY id')) as { id: number }[]).map((e) => Number(e.id));
      for (const [i, eventId] of events.entries())
        await run(`INSERT INTO alarm_event_history (event_id, kind, at, value, muted) VALUES (?, 'raised', ?, 250, ?)`, [
          eventId,
          base + i * 60_000,
          bool(false),
        ]);
      const state = {
        active: true,
        acknowledged: false,
        acknowledgedAt: null,
        pendingSince: null,
        clearingSince: null,
        latched: false,
        lastTs: null,
        lastValue: null,
        raises: [],
        quietAt: null,
      };
      await run('INSERT INTO alarm_states (rule_id, device_id, event_id, state, due_at) VALUES (?, ?, ?, ?, NULL)', [
        ruleId,
        deviceId,
        events[1],
        JSON.stringify(state),
      ]);
      // The newest event goes: its id must not be handed out again.
      await run('DELETE FROM alarm_events WHERE id = ?', [events[2]]);
      await old.destroy();

      t = await startTestApp(env);
      const db = t.app.get(Database);
      expect((await t.http.get('/api/alarms/rules').expect(200)).body).toMatchObject([
        { id: Number(ruleId), clientId: Number(clientId), deviceId: Number(deviceId), name: 'High voltage', severity: 'critical' },
      ]);
      const listed = (await t.http.get('/api/alarms/events').query({ deviceId }).expect(200)).body as EventBody[];
      expect(listed.map((e) => [e.id, e.active, e.ruleType])).toEqual([
        [events[1], true, 'threshold'],
        [events[0], false, 'threshold'],
      ]);
      expect(((await t.http.get(`/api/alarms/events/${events[0]}/history`).expect(200)).body as { kind: string }[]).map((h) => h.kind)).toEqual(['raised']);
      // The open event's state came along: acknowledging goes through the state machine (still active).
      const acked = (await t.http.post(`/api/alarms/events/${events[1]}/ack`).send({ comment: 'seen' }).expect(200)).body;
      expect(acked).toMatchObject({ active: true, acknowledged: true });
      const [stored] = await db.query<{ state: string }>('SELECT state FROM alarm_states WHERE rule_id = ? AND device_id = ?', [ruleId, deviceId]);
      expect(JSON.parse(stored.state)).toMatchObject({ active: true, acknowledged: true });

      // The history is still append-only; one open event per rule and device still.
      await expect(db.query('UPDATE alarm_event_history SET value = 1 WHERE event_id = ?', [events[0]])).rejects.toThrow(/append-only/);
      await expect(
        db.query(
          `INSERT INTO alarm_events (rule_id, device_id, metric, value, raised_at, acknowledged, severity) VALUES (?, ?, 'voltage', 251, ?, ?, 'major')`,
          [ruleId, deviceId, base, false],
        ),
      ).rejects.toThrow();
      // Rule changes still bump the rules' version (other instances reload), and new ids go on after the old ones.
      const version = async () => Number((await db.query<{ value: number | string }>("SELECT value FROM revisions WHERE name = 'alarm-rules'"))[0].value);
      const before = await version();
      const rule2 = (
        await t.http.post('/api/alarms/rules').send({ clientId, deviceId, name: 'Very high', metric: 'voltage', operator: '>', threshold: 245 }).expect(201)
      ).body;
      expect(await version()).toBeGreaterThan(before);
      await t.http
        .post('/api/ingest')
        .send({ readings: [{ deviceId, timestamp: new Date(base + 300_000).toISOString(), metrics: { voltage: 250 } }] })
        .expect(200);
      const [fresh] = await eventsOfRule(t, rule2.id);
      expect(fresh.id).toBeGreaterThan(events[2]);
      if (!pg) expect(await db.query('PRAGMA foreign_key_check')).toEqual([]);
    } finally {
      await t?.close();
      await pg?.drop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

async function eventsOfRule(t: TestApp, ruleId: number): Promise<EventBody[]> {
  return ((await t.http.get('/api/alarms/events').query({ limit: 500 }).expect(200)).body as EventBody[]).filter((e) => e.ruleId === ruleId);
}
