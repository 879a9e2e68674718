import { seedDevice, startTestApp, TestApp } from '../../../testing/test-app';
import { startSmtpRecorder } from '../../notifications/notification-test-kit';
import { ReportScheduleSender } from './report-schedule-sender';

/** Instants of the fake clock the sender is ticked with (the background check is off: REPORT_SCHEDULE_CHECK_MS=0). */
const at = (iso: string) => Date.parse(iso);

describe('report schedules', () => {
  let t: TestApp;
  let smtp: Awaited<ReturnType<typeof startSmtpRecorder>>;
  let sender: ReportScheduleSender;
  let a: { clientId: number };
  let b: { clientId: number };
  let mailA: number;
  let scheduleId: number;

  beforeAll(async () => {
    smtp = await startSmtpRecorder();
    t = await startTestApp({
      SMTP_URL: smtp.url,
      SMTP_FROM: 'Pieng Reports <reports@plant.example>',
      REPORT_SCHEDULE_CHECK_MS: '0',
      RETENTION_RAW_DAYS: '36500',
      RETENTION_1M_DAYS: '36500',
    });
    sender = t.app.get(ReportScheduleSender);
    a = await seedDevice(t.http, 'Meter A', 'Client A');
    b = await seedDevice(t.http, 'Meter B', 'Client B');
    await t.http.patch(`/api/clients/${a.clientId}`).send({ timezone: 'America/Sao_Paulo' }).expect(200);
    mailA = (
      await t.http
        .post('/api/notification-channels')
        .send({ clientId: a.clientId, name: 'Reports', type: 'email', config: { to: ['energia@a.example', 'chefe@a.example'] } })
        .expect(201)
    ).body.id;
  });
  afterAll(async () => {
    await t?.close();
    await smtp?.close();
  });

  const schedules = async () => (await t.http.get('/api/reports/schedules').query({ clientId: a.clientId }).expect(200)).body as Array<Record<string, unknown>>;

  it("sends the previous month's report once, on the day in the client's time zone", async () => {
    const created = await t.http.post('/api/reports/schedules').send({ clientId: a.clientId, channelId: mailA, lang: 'pt-BR', dayOfMonth: 3 }).expect(201);
    scheduleId = created.body.id;
    expect(created.body).toMatchObject({
      clientId: a.clientId,
      channelId: mailA,
      lang: 'pt-BR',
      dayOfMonth: 3,
      lastSentMonth: null,
      attempts: 0,
      lastError: null,
    });
    expect(created.body.createdBy).toBeTruthy();

    expect(await sender.tick(at('2026-12-02T12:00:00Z'))).toBe(0);
    // 01:00 UTC on the 3rd is 22:00 on the 2nd in São Paulo (UTC-3): not yet.
    expect(await sender.tick(at('2026-12-03T01:00:00Z'))).toBe(0);
    expect(smtp.messages).toHaveLength(0);

    expect(await sender.tick(at('2026-12-03T04:00:00Z'))).toBe(1);
    expect(smtp.messages).toHaveLength(1);
    const [mail] = smtp.messages;
    expect(mail.to).toEqual(['energia@a.example', 'chefe@a.example']);
    expect(mail.from).toContain('reports@plant.example');
    expect(mail.subject).toContain('novembro de 2026');
    expect(mail.subject).toContain('Client A');
    expect(mail.text).toContain('novembro de 2026');
    expect(mail.attachments).toHaveLength(1);
    // The report of a month without readings still renders.
    expect(mail.attachments[0]).toMatchObject({ filename: `report_client-${a.clientId}_2026-11_pt-BR.pdf`, contentType: 'application/pdf' });
    expect(mail.attachments[0].content.subarray(0, 5).toString('latin1')).toBe('%PDF-');

    // Later ticks in the same month send nothing more.
    expect(await sender.tick(at('2026-12-03T05:00:00Z'))).toBe(0);
    expect(await sender.tick(at('2026-12-20T05:00:00Z'))).toBe(0);
    expect(smtp.messages).toHaveLength(1);
    const [row] = await schedules();
    expect(row).toMatchObject({ id: scheduleId, lastSentMonth: '2026-11', lastSentAt: '2026-12-03T04:00:00.000Z', attempts: 0, lastError: null });
  });

  it('keeps a refused send with its error and attempts, and sends it after the back-off', async () => {
    smtp.control.refusing = true;
    const first = at('2027-01-03T12:00:00Z');
    expect(await sender.tick(first)).toBe(0);
    let [row] = await schedules();
    expect(row).toMatchObject({ lastSentMonth: '2026-11', attempts: 1 });
    expect(row['lastError']).toContain('try again later');
    // The first retry waits a minute; then two.
    expect(await sender.tick(first + 30_000)).toBe(0);
    expect(await sender.tick(first + 60_000)).toBe(0);
    [row] = await schedules();
    expect(row).toMatchObject({ attempts: 2 });
    smtp.control.refusing = false;
    expect(await sender.tick(first + 60_000 + 90_000)).toBe(0);
    expect(smtp.messages).toHaveLength(1);
    expect(await sender.tick(first + 60_000 + 120_000)).toBe(1);
    expect(smtp.messages).toHaveLength(2);
    expect(smtp.messages[1].subject).toContain('dezembro de 2026');
    [row] = await schedules();
    expect(row).toMatchObject({ lastSentMonth: '2026-12', attempts: 0, lastError: null });
    expect(await sender.tick(first + 3_600_000)).toBe(0);
    expect(smtp.messages).toHaveLength(2);
  });

  it('answers 400 naming the field, 404 for another client, 403 to a viewer', async () => {
    const post = (body: Record<string, unknown>) =>
      t.http.post('/api/reports/schedules').send({ clientId: a.clientId, channelId: mailA, lang: 'en', dayOfMonth: 1, ...body });
    const field = async (body: Record<string, unknown>) => (await post(body).expect(400)).body.errors[0].field;
    expect(await field({ dayOfMonth: 29 })).toBe('dayOfMonth');
    expect(await field({ dayOfMonth: 0 })).toBe('dayOfMonth');
    expect(await field({ dayOfMonth: 2.5 })).toBe('dayOfMonth');
    expect(await field({ lang: 'fr' })).toBe('lang');
    const sms = await t.http
      .post('/api/notification-channels')
      .send({ clientId: a.clientId, name: 'On call', type: 'sms', config: { to: ['+5511987654321'] } })
      .expect(201);
    expect(await field({ channelId: sms.body.id })).toBe('channelId');
    const mailB = await t.http
      .post('/api/notification-channels')
      .send({ clientId: b.clientId, name: 'B mail', type: 'email', config: { to: ['b@b.example'] } })
      .expect(201);
    expect((await post({ channelId: mailB.body.id }).expect(404)).body.message).toContain(`channelId ${mailB.body.id}`);

    const adminOfB = await t.userAgent('admin', b.clientId);
    await adminOfB.post('/api/reports/schedules').send({ clientId: a.clientId, channelId: mailA, lang: 'en', dayOfMonth: 1 }).expect(404);
    await adminOfB.delete(`/api/reports/schedules/${scheduleId}`).expect(404);
    expect((await adminOfB.get('/api/reports/schedules').query({ clientId: a.clientId }).expect(200)).body).toEqual([]);
    const viewerOfA = await t.userAgent('viewer', a.clientId);
    await viewerOfA.post('/api/reports/schedules').send({ clientId: a.clientId, channelId: mailA, lang: 'en', dayOfMonth: 1 }).expect(403);
    await viewerOfA.delete(`/api/reports/schedules/${scheduleId}`).expect(403);
    expect((await viewerOfA.get('/api/reports/schedules').expect(200)).body).toHaveLength(1);
    const operatorOfA = await t.userAgent('operator', a.clientId);
    const mine = await operatorOfA.post('/api/reports/schedules').send({ clientId: a.clientId, channelId: mailA, lang: 'en', dayOfMonth: 28 }).expect(201);
    await operatorOfA.delete(`/api/reports/schedules/${mine.body.id}`).expect(204);
    expect((await schedules()).map((s) => s['id'])).toEqual([scheduleId]);
  });
});
