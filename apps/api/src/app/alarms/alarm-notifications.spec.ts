import { seedDevice, startTestApp, TestApp } from '../../testing/test-app';
import { waitFor } from '../../testing/wait';
import { startSmtpRecorder, startWebhookReceiver } from '../notifications/notification-test-kit';

/** The alarm model and notification delivery together: a reading raises an event, and its channels hear of it (and of its acknowledgement) once. */
describe('alarms that notify', () => {
  let t: TestApp;
  let smtp: Awaited<ReturnType<typeof startSmtpRecorder>>;
  let hook: Awaited<ReturnType<typeof startWebhookReceiver>>;
  let a: { clientId: number; deviceId: number };
  let b: { clientId: number; deviceId: number };

  beforeAll(async () => {
    smtp = await startSmtpRecorder();
    hook = await startWebhookReceiver();
    t = await startTestApp({
      SMTP_URL: smtp.url,
      SMTP_FROM: 'Pieng Alarms <alarms@plant.example>',
      PUBLIC_URL: 'https://energia.example.com/',
      NOTIFICATION_RETRY_MIN_MS: '100',
      NOTIFICATION_RETRY_MAX_MS: '400',
    });
    a = await seedDevice(t.http, 'Main panel', 'Client A');
    b = await seedDevice(t.http, 'Meter B', 'Client B');
  });
  afterAll(async () => {
    await t?.close();
    await smtp?.close();
    await hook?.close();
  });

  it('e-mails and calls the webhook of the rule when a reading raises its event, and again when it is acknowledged', async () => {
    const mail = (
      await t.http
        .post('/api/notification-channels')
        .send({ clientId: a.clientId, name: 'Shift lead', type: 'email', config: { to: ['lead@plant.example'] }, on: ['raised'] })
        .expect(201)
    ).body;
    const webhook = (
      await t.http
        .post('/api/notification-channels')
        .send({ clientId: a.clientId, name: 'SCADA', type: 'webhook', config: { url: hook.url }, on: ['raised', 'acknowledged'] })
        .expect(201)
    ).body;
    hook.state.secret = webhook.secret;
    await t.http
      .post('/api/alarms/rules')
      .send({
        clientId: a.clientId,
        deviceId: a.deviceId,
        name: 'Overvoltage',
        metric: 'voltage',
        operator: '>',
        threshold: 242,
        severity: 'critical',
        channelIds: [mail.id, webhook.id],
      })
      .expect(201);

    const ingest = await t.http
      .post('/api/ingest')
      .send({ readings: [{ deviceId: a.deviceId, timestamp: '2026-11-30T12:00:00Z', metrics: { voltage: 245.5 } }] })
      .expect(200);
    expect(ingest.body.alarmEvents).toBe(1);

    const sent = await waitFor('the e-mail', async () => smtp.messages[0]);
    expect(sent.to).toEqual(['lead@plant.example']);
    expect(sent.text).toContain('Main panel');
    expect(sent.text).toContain('245.5 V');
    const raised = await waitFor('the webhook', async () => hook.state.accepted[0]);
    expect(raised.body).toMatchObject({ type: 'alarm.raised' });

    const [event] = (await t.http.get(`/api/alarms/events?deviceId=${a.deviceId}&active=true`).expect(200)).body;
    await t.http.post(`/api/alarms/events/${event.id}/ack`).send({ comment: 'Tap changer checked' }).expect(200);
    const acknowledged = await waitFor('the acknowledgement webhook', async () => hook.state.accepted[1]);
    expect(acknowledged.body).toMatchObject({ type: 'alarm.acknowledged' });
    // Each once: the e-mail channel does not take acknowledgements.
    expect(smtp.messages).toHaveLength(1);
    expect(hook.state.accepted).toHaveLength(2);
  });

  it("refuses a rule naming another client's channel, or one that does not exist, naming the field", async () => {
    const other = (
      await t.http
        .post('/api/notification-channels')
        .send({ clientId: b.clientId, name: 'B hook', type: 'email', config: { to: ['b@plant.example'] } })
        .expect(201)
    ).body;
    const refused = await t.http
      .post('/api/alarms/rules')
      .send({
        clientId: a.clientId,
        name: 'Low voltage',
        metric: 'voltage',
        operator: '<',
        threshold: 198,
        channelIds: [other.id],
        escalationChannelId: 99999,
        escalateAfterMin: 15,
      })
      .expect(400);
    expect(refused.body.errors.map((e: { field: string }) => e.field)).toEqual(['channelIds[0]', 'escalationChannelId']);
  });
});
