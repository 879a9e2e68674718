import { seedDevice, startTestApp, TestApp } from '../../testing/test-app';
import { waitFor } from '../../testing/wait';
import type { AlarmTransition } from '../alarms/alarm-transition';
import { Database } from '../database/database.service';
import { NotificationOutbox } from './notification-outbox';
import { startSmtpRecorder, startTelegramStandIn, startTwilioStandIn, startWebhookReceiver, transition } from './notification-test-kit';

const TELEGRAM_TOKEN = '123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw';
const T0 = Date.UTC(2026, 10, 26, 8, 0, 0);

type Kit = {
  smtp: Awaited<ReturnType<typeof startSmtpRecorder>>;
  hook: Awaited<ReturnType<typeof startWebhookReceiver>>;
  telegram: Awaited<ReturnType<typeof startTelegramStandIn>>;
  sms: Awaited<ReturnType<typeof startTwilioStandIn>>;
};

describe('notifications', () => {
  let t: TestApp;
  let kit: Kit;
  let db: Database;
  let outbox: NotificationOutbox;
  let a: { clientId: number; deviceId: number };
  let b: { clientId: number; deviceId: number };

  beforeAll(async () => {
    kit = {
      smtp: await startSmtpRecorder(),
      hook: await startWebhookReceiver(),
      telegram: await startTelegramStandIn(TELEGRAM_TOKEN),
      sms: await startTwilioStandIn('AC0123456789', 'twilio-auth-token'),
    };
    t = await startTestApp({
      SMTP_URL: kit.smtp.url,
      SMTP_FROM: 'Pieng Alarms <alarms@plant.example>',
      TELEGRAM_API_URL: kit.telegram.url,
      SMS_GATEWAY_URL: kit.sms.url,
      SMS_GATEWAY_TOKEN: 'AC0123456789:twilio-auth-token',
      SMS_FROM: '+15005550006',
      PUBLIC_URL: 'https://energia.example.com/',
      NOTIFICATION_RETRY_MIN_MS: '100',
      NOTIFICATION_RETRY_MAX_MS: '400',
    });
    db = t.app.get(Database);
    outbox = t.app.get(NotificationOutbox);
    a = await seedDevice(t.http, 'Meter A', 'Client A');
    b = await seedDevice(t.http, 'Meter B', 'Client B');
    await t.http.patch(`/api/clients/${a.clientId}`).send({ language: 'pt-BR', timezone: 'America/Sao_Paulo' }).expect(200);
  });
  afterAll(async () => {
    await t?.close();
    await Promise.all(Object.values(kit).map((k) => k.close()));
  });

  const enqueue = (transitions: AlarmTransition[]) => db.transaction((m) => outbox.enqueue(m, transitions));
  const deliveries = async (query: Record<string, unknown>) =>
    (await t.http.get('/api/notifications').query(query).expect(200)).body as Array<Record<string, unknown>>;
  /** A rule and an unacknowledged event of it on the device, written as the alarm model would. */
  const insertEvent = (clientId: number, deviceId: number) =>
    db.transaction(async (m) => {
      const ruleId = await db.insertReturningId(
        `INSERT INTO alarm_rules (client_id, device_id, name, metric, operator, threshold, enabled, created_at) VALUES (?, ?, 'Overvoltage', 'voltage', '>', 242, ?, ?)`,
        [clientId, deviceId, true, T0],
        m,
      );
      const eventId = await db.insertReturningId(
        `INSERT INTO alarm_events (rule_id, device_id, metric, value, raised_at, acknowledged) VALUES (?, ?, 'voltage', 245.5, ?, ?)`,
        [ruleId, deviceId, T0, false],
        m,
      );
      return { ruleId, eventId };
    });

  it("e-mails a raised alarm in the client's language and time zone, with the value's unit and a link, once", async () => {
    const ch = await t.http
      .post('/api/notification-channels')
      .send({ clientId: a.clientId, name: 'Ops mail', type: 'email', config: { to: ['ops@plant.example', 'chief@plant.example'] } })
      .expect(201);
    expect(ch.body).toMatchObject({
      clientId: a.clientId,
      type: 'email',
      minSeverity: 'warning',
      on: ['raised', 'cleared'],
      enabled: true,
      lastDeliveredAt: null,
      failed: 0,
    });
    const tr = transition({ eventId: 501, clientId: a.clientId, deviceId: a.deviceId, channelIds: [ch.body.id], at: T0 });
    await enqueue([tr]);
    // The same transition handed over again (a retried transaction) queues nothing more.
    await enqueue([tr]);
    const mail = await waitFor('the e-mail', async () => kit.smtp.messages[0]);
    expect(mail.user).toBe('alarms');
    expect(mail.from).toContain('alarms@plant.example');
    expect(mail.to).toEqual(['ops@plant.example', 'chief@plant.example']);
    expect(mail.subject).toBe('[CRÍTICO] Overvoltage: Meter A, disparado');
    // 08:00 UTC is 05:00 in São Paulo (UTC-3, no daylight saving since 2019); pt-BR writes 245,5.
    expect(mail.text).toContain('Horário: 26/11/2026 05:00:00 (America/Sao_Paulo)');
    expect(mail.text).toContain('Valor: 245,5 V');
    expect(mail.text).toContain('Limite: > 242 V');
    expect(mail.text).toContain('Severidade: crítico');
    expect(mail.text).toContain('Dispositivo: Meter A');
    expect(mail.text).toContain('Métrica: voltage');
    expect(mail.text).toContain('Link: https://energia.example.com/alarms?event=501');
    const [row] = await waitFor('delivered', async () => {
      const rows = await deliveries({ channelId: ch.body.id });
      return rows.length === 1 && rows[0]['status'] === 'delivered' ? rows : undefined;
    });
    expect(row).toMatchObject({
      kind: 'raised',
      severity: 'critical',
      attempts: 1,
      lastError: null,
      eventId: 501,
      ruleName: 'Overvoltage',
      deviceName: 'Meter A',
    });
    expect(kit.smtp.messages).toHaveLength(1);
    const listed = await t.http.get(`/api/notification-channels/${ch.body.id}`).expect(200);
    expect(listed.body.lastDeliveredAt).toBe(row['deliveredAt']);
  });

  it('queues only what a channel asks for: severity, transitions, muted recorded but not sent, other clients never', async () => {
    const ch = await t.http
      .post('/api/notification-channels')
      .send({ clientId: b.clientId, name: 'Majors', type: 'email', config: { to: ['b@client.example'] }, minSeverity: 'major', on: ['raised'] })
      .expect(201);
    const base = { clientId: b.clientId, deviceId: b.deviceId, channelIds: [ch.body.id] };
    await enqueue([
      transition({ ...base, eventId: 601, severity: 'minor' }),
      transition({ ...base, eventId: 602, severity: 'major', kind: 'cleared' }),
      transition({ ...base, eventId: 603, severity: 'major', kind: 'shelved' }),
      transition({ ...base, eventId: 604, severity: 'major', muted: true }),
      // Client A's rule naming client B's channel: never B's.
      transition({ eventId: 605, clientId: a.clientId, deviceId: a.deviceId, channelIds: [ch.body.id] }),
      transition({ ...base, eventId: 606, severity: 'major' }),
    ]);
    await waitFor('606 delivered', async () => (await deliveries({ channelId: ch.body.id, status: 'delivered' })).length === 1);
    const rows = await deliveries({ channelId: ch.body.id });
    expect(rows.map((r) => [r['eventId'], r['status']]).sort()).toEqual([
      [604, 'muted'],
      [606, 'delivered'],
    ]);
    expect(kit.smtp.messages.filter((m) => m.to.includes('b@client.example'))).toHaveLength(1);
    // An English client: en words, the plant's time zone (UTC in tests), a dot for decimals.
    const [mail] = kit.smtp.messages.filter((m) => m.to.includes('b@client.example'));
    expect(mail.subject).toBe('[MAJOR] Overvoltage: Meter A, raised');
    expect(mail.text).toContain('Time: 2026-11-26 08:00:00 (UTC)');
    expect(mail.text).toContain('Value: 245.5 V');
  });

  it('signs webhooks (Standard Webhooks), retries 5xx with back-off keeping the webhook-id, and fails a 410 at once', async () => {
    const created = await t.http
      .post('/api/notification-channels')
      .send({ clientId: a.clientId, name: 'SCADA hook', type: 'webhook', config: { url: kit.hook.url }, on: ['raised', 'cleared', 'acknowledged'] })
      .expect(201);
    expect(created.body.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    kit.hook.state.secret = created.body.secret;
    const shown = await t.http.get(`/api/notification-channels/${created.body.id}`).expect(200);
    expect(shown.body.secret).toBeUndefined();
    expect(shown.body.config).toEqual({ url: kit.hook.url });
    expect(JSON.stringify((await db.query('SELECT config FROM notification_channels WHERE id = ?', [created.body.id]))[0])).not.toContain(
      created.body.secret.slice(6),
    );

    kit.hook.state.answers = [503, 503];
    const tr = transition({
      eventId: 701,
      clientId: a.clientId,
      deviceId: a.deviceId,
      channelIds: [created.body.id],
      kind: 'acknowledged',
      by: 'ana@plant.example',
      comment: 'crew on site',
    });
    await enqueue([tr]);
    const hook = await waitFor('the webhook', async () => kit.hook.state.accepted[0]);
    expect(kit.hook.state.requests).toBe(3);
    expect(kit.hook.state.refused).toEqual([]);
    expect(hook.id).toBe(`alarm-701-${tr.historyId}-acknowledged-${created.body.id}`);
    expect(hook.body).toMatchObject({
      type: 'alarm.acknowledged',
      data: { eventId: 701, kind: 'acknowledged', severity: 'critical', value: 245.5, unit: 'V', by: 'ana@plant.example', comment: 'crew on site' },
    });
    const [row] = await waitFor('delivered', async () => {
      const rows = await deliveries({ channelId: created.body.id, status: 'delivered' });
      return rows.length ? rows : undefined;
    });
    expect(row['attempts']).toBe(3);

    kit.hook.state.answers = [410];
    await enqueue([transition({ eventId: 702, clientId: a.clientId, deviceId: a.deviceId, channelIds: [created.body.id] })]);
    const [failed] = await waitFor('failed', async () => {
      const rows = await deliveries({ channelId: created.body.id, status: 'failed' });
      return rows.length ? rows : undefined;
    });
    expect(failed).toMatchObject({ eventId: 702, attempts: 1, lastError: 'webhook answered 410: status 410' });
    const listed = await t.http.get(`/api/notification-channels/${created.body.id}`).expect(200);
    expect(listed.body).toMatchObject({ failed: 1, pending: 0, lastError: 'webhook answered 410: status 410' });
    expect(kit.hook.state.accepted).toHaveLength(1);
  });

  it("keeps one event's transitions in order on a channel: a clear waits for its raise's retry", async () => {
    const ch = await t.http
      .post('/api/notification-channels')
      .send({ clientId: a.clientId, name: 'Ordered hook', type: 'webhook', config: { url: kit.hook.url }, on: ['raised', 'cleared'] })
      .expect(201);
    kit.hook.state.secret = ch.body.secret;
    kit.hook.state.answers = [503];
    const before = kit.hook.state.accepted.length;
    const base = { eventId: 750, clientId: a.clientId, deviceId: a.deviceId, channelIds: [ch.body.id] };
    await enqueue([transition({ ...base }), transition({ ...base, kind: 'cleared', value: 230 })]);
    await waitFor('both delivered', async () => kit.hook.state.accepted.length === before + 2);
    expect(kit.hook.state.accepted.slice(before).map((h) => (h.body['data'] as { kind: string }).kind)).toEqual(['raised', 'cleared']);
  });

  it('the receiver refuses a timestamp more than 5 minutes off, even correctly signed', async () => {
    const { createHmac } = await import('node:crypto');
    const ts = Math.floor(Date.now() / 1000) - 301;
    const body = '{}';
    const sig = createHmac('sha256', Buffer.from(kit.hook.state.secret.slice(6), 'base64'))
      .update(`msg_1.${ts}.${body}`)
      .digest('base64');
    const res = await fetch(kit.hook.url, {
      method: 'POST',
      headers: { 'webhook-id': 'msg_1', 'webhook-timestamp': String(ts), 'webhook-signature': `v1,${sig}` },
      body,
    });
    expect(res.status).toBe(401);
    expect(await res.text()).toBe('timestamp more than 5 minutes off');
  });

  it("sends Telegram messages at most one a second per chat and waits out a 429's retry_after", async () => {
    const ch = await t.http
      .post('/api/notification-channels')
      .send({ clientId: b.clientId, name: 'Night shift', type: 'telegram', config: { botToken: TELEGRAM_TOKEN, chatId: -1001234567890 } })
      .expect(201);
    expect(ch.body.config).toEqual({ chatId: '-1001234567890', botToken: '123456789:…' });
    await enqueue([
      transition({ eventId: 801, clientId: b.clientId, deviceId: b.deviceId, deviceName: 'Meter B', channelIds: [ch.body.id] }),
      transition({ eventId: 802, clientId: b.clientId, deviceId: b.deviceId, deviceName: 'Meter B', channelIds: [ch.body.id], kind: 'cleared', value: 231 }),
    ]);
    await waitFor('two delivered', async () => (await deliveries({ channelId: ch.body.id, status: 'delivered' })).length === 2);
    const calls = kit.telegram.state.calls;
    expect(calls.map((c) => c.status)).toEqual([429, 200, 200]);
    // retry_after 1: the retry came a second or more after the 429; the next message a second after that.
    expect(calls[1].at - calls[0].at).toBeGreaterThanOrEqual(1000);
    expect(calls[2].at - calls[1].at).toBeGreaterThanOrEqual(1000);
    expect(calls.every((c) => c.chatId === '-1001234567890')).toBe(true);
    // Two events: the clear of 802 need not wait for the raise of 801.
    const sent = calls.filter((c) => c.status === 200).map((c) => c.text);
    expect(sent.find((x) => x.includes('State: raised'))).toContain('Device: Meter B');
    expect(sent.find((x) => x.includes('State: cleared'))).toContain('Value: 231 V');
    expect(sent.find((x) => x.includes('State: cleared'))).toContain('event=802');
    const rows = await deliveries({ channelId: ch.body.id });
    expect(rows.find((r) => r['eventId'] === 801)).toMatchObject({ attempts: 2, status: 'delivered' });
  });

  it("sends SMS in Twilio's form, by default for critical and major only", async () => {
    const ch = await t.http
      .post('/api/notification-channels')
      .send({ clientId: a.clientId, name: 'On call', type: 'sms', config: { to: ['+5511987654321'] } })
      .expect(201);
    expect(ch.body.minSeverity).toBe('major');
    await enqueue([
      transition({ eventId: 901, clientId: a.clientId, deviceId: a.deviceId, channelIds: [ch.body.id], severity: 'minor' }),
      transition({ eventId: 902, clientId: a.clientId, deviceId: a.deviceId, channelIds: [ch.body.id], severity: 'critical', value: 250 }),
    ]);
    await waitFor('the SMS', async () => (await deliveries({ channelId: ch.body.id, status: 'delivered' })).length === 1);
    expect(kit.sms.state.refused).toEqual([]);
    expect(kit.sms.state.messages).toHaveLength(1);
    const [sms] = kit.sms.state.messages;
    expect(sms).toMatchObject({ to: '+5511987654321', from: '+15005550006' });
    expect(sms.body).toBe('[CRÍTICO] Meter A | Overvoltage | disparado | 250 V | 26/11/2026 05:00:00 (America/Sao_Paulo)');
    expect((await deliveries({ channelId: ch.body.id })).map((r) => r['eventId'])).toEqual([902]);
  });

  it('sends an SMS to each number once, even when a later number failed and the delivery was retried', async () => {
    const ch = await t.http
      .post('/api/notification-channels')
      .send({ clientId: a.clientId, name: 'Two phones', type: 'sms', config: { to: ['+5511900000001', '+5511900000002'] } })
      .expect(201);
    kit.sms.state.failOnce.add('+5511900000002');
    const before = kit.sms.state.messages.length;
    await enqueue([transition({ eventId: 801, clientId: a.clientId, deviceId: a.deviceId, channelIds: [ch.body.id], severity: 'critical', at: T0 })]);
    const [row] = await waitFor('the SMS delivered after its retry', async () => {
      const rows = await deliveries({ channelId: ch.body.id });
      return rows[0]?.['status'] === 'delivered' ? rows : undefined;
    });
    expect(row).toMatchObject({ attempts: 2 });
    expect(kit.sms.state.messages.slice(before).map((m) => m.to)).toEqual(['+5511900000001', '+5511900000002']);
  });

  it('escalates a raise still unacknowledged after escalateAfterMin, once; an acknowledged, shelved or in-maintenance one is cancelled', async () => {
    const first = await t.http
      .post('/api/notification-channels')
      .send({ clientId: a.clientId, name: 'Shift', type: 'email', config: { to: ['shift@plant.example'] } })
      .expect(201);
    const boss = await t.http
      .post('/api/notification-channels')
      .send({ clientId: a.clientId, name: 'Manager', type: 'email', config: { to: ['boss@plant.example'] }, on: ['cleared'] })
      .expect(201);
    const unacked = await insertEvent(a.clientId, a.deviceId);
    const acked = await insertEvent(a.clientId, a.deviceId).catch(async () => {
      // One active event per rule and device: the second rule's event.
      throw new Error('could not insert a second event');
    });
    await db.transaction((m) => db.execute('UPDATE alarm_events SET acknowledged = ? WHERE id = ?', [true, acked.eventId], m));
    const longAgo = Date.now() - 61_000;
    const later = await insertEvent(a.clientId, a.deviceId);
    // Muted as their other notifications are: one shelved, one on a device in a maintenance window.
    const shelved = await insertEvent(a.clientId, a.deviceId);
    await db.transaction((m) => db.execute('UPDATE alarm_events SET shelved_until = ? WHERE id = ?', [Date.now() + 3_600_000, shelved.eventId], m));
    const serviced = (await t.http.post('/api/devices').send({ clientId: a.clientId, name: 'Meter under service', deviceType: 'api' }).expect(201)).body as {
      id: number;
    };
    await t.http
      .post('/api/alarms/maintenance')
      .send({
        deviceId: serviced.id,
        from: new Date(Date.now() - 3_600_000).toISOString(),
        to: new Date(Date.now() + 3_600_000).toISOString(),
        reason: 'Panel rewiring',
      })
      .expect(201);
    const maintained = await insertEvent(a.clientId, serviced.id);
    const common = { clientId: a.clientId, deviceId: a.deviceId, channelIds: [first.body.id], escalationChannelId: boss.body.id, escalateAfterMin: 1 };
    await enqueue([
      transition({ ...common, eventId: unacked.eventId, ruleId: unacked.ruleId, at: longAgo }),
      transition({ ...common, eventId: acked.eventId, ruleId: acked.ruleId, at: longAgo }),
      transition({ ...common, eventId: later.eventId, ruleId: later.ruleId, at: Date.now() }),
      transition({ ...common, eventId: shelved.eventId, ruleId: shelved.ruleId, at: longAgo }),
      transition({ ...common, deviceId: serviced.id, eventId: maintained.eventId, ruleId: maintained.ruleId, at: longAgo }),
    ]);
    await waitFor('escalation settled', async () => (await deliveries({ channelId: boss.body.id })).filter((r) => r['status'] !== 'pending').length === 4);
    const rows = await deliveries({ channelId: boss.body.id });
    const byEvent = Object.fromEntries(rows.map((r) => [r['eventId'], r]));
    expect(byEvent[unacked.eventId]).toMatchObject({ kind: 'escalated', status: 'delivered', attempts: 1 });
    expect(byEvent[acked.eventId]).toMatchObject({ kind: 'escalated', status: 'cancelled', attempts: 0 });
    expect(byEvent[shelved.eventId]).toMatchObject({ kind: 'escalated', status: 'cancelled', attempts: 0, lastError: 'the event is shelved' });
    expect(byEvent[maintained.eventId]).toMatchObject({
      kind: 'escalated',
      status: 'cancelled',
      attempts: 0,
      lastError: 'its device is in a maintenance window',
    });
    // Due a minute after its raise: still waiting.
    expect(byEvent[later.eventId]).toMatchObject({ kind: 'escalated', status: 'pending', attempts: 0 });
    expect(Date.parse(byEvent[later.eventId]['nextAttemptAt'] as string)).toBeGreaterThan(Date.now() + 30_000);
    const bossMail = kit.smtp.messages.filter((m) => m.to.includes('boss@plant.example'));
    expect(bossMail).toHaveLength(1);
    expect(bossMail[0].text).toContain('Estado: sem reconhecimento após 1 min');
    // The raises themselves went to the first channel, one per event (handed over unmuted here).
    await waitFor('shift mails', async () => kit.smtp.messages.filter((m) => m.to.includes('shift@plant.example')).length === 5);
  });

  it('platform-wide channels are staff-made and carry platform alarms (no device) only', async () => {
    const ch = await t.http
      .post('/api/notification-channels')
      .send({ clientId: null, name: 'Platform ops', type: 'webhook', config: { url: kit.hook.url } })
      .expect(201);
    expect(ch.body.clientId).toBeNull();
    kit.hook.state.secret = ch.body.secret;
    const before = kit.hook.state.accepted.length;
    await enqueue([
      transition({ eventId: 1001, clientId: a.clientId, deviceId: a.deviceId, channelIds: [ch.body.id] }),
      transition({
        eventId: 1002,
        clientId: a.clientId,
        deviceId: null,
        deviceName: null,
        ruleName: 'Disk space',
        metric: null,
        value: null,
        unit: null,
        operator: null,
        threshold: null,
        channelIds: [ch.body.id],
      }),
    ]);
    await waitFor('platform alarm', async () => kit.hook.state.accepted.length === before + 1);
    expect(kit.hook.state.accepted[before].body).toMatchObject({ type: 'alarm.raised', data: { eventId: 1002, ruleName: 'Disk space', deviceId: null } });
    expect((await deliveries({ channelId: ch.body.id })).map((r) => r['eventId'])).toEqual([1002]);
  });

  it('goes with its client: deleting a client deletes its channels and their log', async () => {
    const c = await t.http.post('/api/clients').send({ name: 'Short-lived' }).expect(201);
    const ch = await t.http
      .post('/api/notification-channels')
      .send({ clientId: c.body.id, name: 'Tmp', type: 'email', config: { to: ['tmp@plant.example'] } })
      .expect(201);
    await enqueue([transition({ eventId: 1101, clientId: c.body.id, deviceId: 99, channelIds: [ch.body.id], muted: true })]);
    expect(await deliveries({ channelId: ch.body.id })).toHaveLength(1);
    await t.http.delete(`/api/clients/${c.body.id}`).expect(204);
    await t.http.get(`/api/notification-channels/${ch.body.id}`).expect(404);
    expect(await deliveries({ channelId: ch.body.id })).toEqual([]);
    expect(await db.query('SELECT id FROM notifications WHERE channel_id = ?', [ch.body.id])).toEqual([]);
  });

  it('refuses bad input with 400 naming the field', async () => {
    const post = (body: Record<string, unknown>) =>
      t.http
        .post('/api/notification-channels')
        .send({ clientId: a.clientId, name: 'x', ...body })
        .expect(400);
    const field = async (body: Record<string, unknown>) => (await post(body)).body.errors[0].field;
    expect(await field({ type: 'pager', config: {} })).toBe('type');
    expect(await field({ type: 'email', config: { to: ['ok@plant.example', 'not an address'] } })).toBe('config.to[1]');
    expect(await field({ type: 'email', config: { to: [] } })).toBe('config.to');
    expect(await field({ type: 'webhook', config: { url: 'not a url' } })).toBe('config.url');
    expect(await field({ type: 'webhook', config: { url: 'ftp://hooks.example.com/x' } })).toBe('config.url');
    expect(await field({ type: 'webhook', config: { url: 'https://user:pw@hooks.example.com/x' } })).toBe('config.url');
    expect(await field({ type: 'telegram', config: { botToken: 'nope', chatId: '42' } })).toBe('config.botToken');
    expect(await field({ type: 'sms', config: { to: ['011 98765-4321'] } })).toBe('config.to[0]');
    expect(await field({ type: 'email', config: { to: ['a@b.example'] }, minSeverity: 'catastrophic' })).toBe('minSeverity');
    expect(await field({ type: 'email', config: { to: ['a@b.example'] }, on: ['raised', 'exploded'] })).toBe('on');
    expect(await field({ type: 'email', config: 'to=a@b.example' })).toBe('config');
  });

  it("keeps a client's user to its own client's channels and deliveries, private addresses to staff, and says only delivered or not", async () => {
    const userB = await t.userAgent('operator', b.clientId);
    const mine = await userB
      .post('/api/notification-channels')
      .send({ name: 'B mail', type: 'email', config: { to: ['b2@client.example'] } })
      .expect(201);
    expect(mine.body.clientId).toBe(b.clientId);
    const theirs = (await t.http.get('/api/notification-channels').query({ clientId: a.clientId }).expect(200)).body as Array<{ id: number }>;
    expect(theirs.length).toBeGreaterThan(0);
    const aChannel = theirs[0].id;
    await userB.get(`/api/notification-channels/${aChannel}`).expect(404);
    await userB.patch(`/api/notification-channels/${aChannel}`).send({ name: 'mine now' }).expect(404);
    await userB.post(`/api/notification-channels/${aChannel}/test`).expect(404);
    await userB.delete(`/api/notification-channels/${aChannel}`).expect(404);
    await userB
      .post('/api/notification-channels')
      .send({ clientId: a.clientId, name: 'x', type: 'email', config: { to: ['x@y.example'] } })
      .expect(404);
    await userB
      .post('/api/notification-channels')
      .send({ clientId: null, name: 'x', type: 'email', config: { to: ['x@y.example'] } })
      .expect(403);
    const listed = (await userB.get('/api/notification-channels').expect(200)).body as Array<{ clientId: number }>;
    expect(listed.length).toBeGreaterThan(0);
    expect(listed.every((c) => c.clientId === b.clientId)).toBe(true);
    const log = (await userB.get('/api/notifications').expect(200)).body as Array<{ channelId: number }>;
    const bChannels = new Set(listed.map((c) => (c as unknown as { id: number }).id));
    expect(log.length).toBeGreaterThan(0);
    expect(log.every((r) => bChannels.has(r.channelId))).toBe(true);
    expect((await userB.get('/api/notifications').query({ channelId: aChannel }).expect(200)).body).toEqual([]);

    // Loopback and private webhook targets are staff's (or OUTBOUND_ALLOWED_NETWORKS', empty here).
    for (const url of [kit.hook.url, 'http://10.1.2.3/hook', 'http://169.254.169.254/latest/meta-data']) {
      const res = await userB.post('/api/notification-channels').send({ name: 'x', type: 'webhook', config: { url } }).expect(400);
      expect(res.body.errors[0].field).toBe('config.url');
      expect(res.body.message).toContain('not a public address');
    }
    // A staff-made loopback webhook on client B's account: its user may test it, and hears only "delivered or not".
    const staffMade = await t.http
      .post('/api/notification-channels')
      .send({ clientId: b.clientId, name: 'Local hook', type: 'webhook', config: { url: kit.hook.url } })
      .expect(201);
    kit.hook.state.secret = staffMade.body.secret;
    const before = kit.hook.state.requests;
    expect((await userB.post(`/api/notification-channels/${staffMade.body.id}/test`).expect(200)).body).toEqual({ delivered: true });
    expect(kit.hook.state.requests).toBe(before + 1);
    kit.hook.state.answers = [500];
    expect((await userB.post(`/api/notification-channels/${staffMade.body.id}/test`).expect(200)).body).toEqual({ delivered: false });
    expect(kit.hook.state.answers).toEqual([]);
    kit.hook.state.answers = [500];
    expect((await t.http.post(`/api/notification-channels/${staffMade.body.id}/test`).expect(200)).body).toEqual({
      delivered: false,
      error: 'webhook answered 500: status 500',
    });
    expect((await t.http.post(`/api/notification-channels/${staffMade.body.id}/test`).expect(200)).body).toEqual({ delivered: true });
    expect(kit.hook.state.accepted.at(-1)?.body).toMatchObject({ type: 'notification.test' });
    // The user changing the URL to loopback is refused: only staff may point it there.
    const res = await userB
      .patch(`/api/notification-channels/${staffMade.body.id}`)
      .send({ config: { url: `${kit.hook.url}?x=1` } })
      .expect(400);
    expect(res.body.errors[0].field).toBe('config.url');
    await userB.delete(`/api/notification-channels/${mine.body.id}`).expect(204);
    await userB.get(`/api/notification-channels/${mine.body.id}`).expect(404);
  });

  // A second app of its own (another OUTBOUND_ALLOWED_NETWORKS): its start takes most of the time.
  it('lets a client use a private target listed in OUTBOUND_ALLOWED_NETWORKS, and changes a channel without resending its secret', async () => {
    const other = await startTestApp({ OUTBOUND_ALLOWED_NETWORKS: '127.0.0.1/32' });
    try {
      const c = await seedDevice(other.http, 'M', 'C');
      const user = await other.userAgent('operator', c.clientId);
      const ch = await user
        .post('/api/notification-channels')
        .send({ name: 'Local', type: 'webhook', config: { url: kit.hook.url } })
        .expect(201);
      const refused = await user
        .post('/api/notification-channels')
        .send({ name: 'Elsewhere', type: 'webhook', config: { url: 'http://10.9.8.7/hook' } })
        .expect(400);
      expect(refused.body.errors[0].field).toBe('config.url');
      const tg = await user
        .post('/api/notification-channels')
        .send({ name: 'TG', type: 'telegram', config: { botToken: TELEGRAM_TOKEN, chatId: '42' } })
        .expect(201);
      const changed = await user
        .patch(`/api/notification-channels/${tg.body.id}`)
        .send({ config: { chatId: '@plant_alarms' }, minSeverity: 'major', enabled: false })
        .expect(200);
      expect(changed.body).toMatchObject({ config: { chatId: '@plant_alarms', botToken: '123456789:…' }, minSeverity: 'major', enabled: false });
      kit.hook.state.secret = ch.body.secret;
      expect((await user.post(`/api/notification-channels/${ch.body.id}/test`).expect(200)).body).toEqual({ delivered: true });
    } finally {
      await other.close();
    }
  }, 90_000);
});
