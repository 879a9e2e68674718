import { EntityManager } from 'typeorm';
import { seedDevice, startTestApp, TEST_ADMIN, TestApp } from '../../testing/test-app';
import { Database } from '../database/database.service';
import { AlarmEventStore } from './alarm-event-store';
import { AlarmTimer } from './alarm-timer';
import { AlarmTransition, AlarmTransitionSink } from './alarm-transition';

/** Stands in for the notifications module: keeps what it is handed, and whether its history row was already there in the transaction. */
class RecordingSink extends AlarmTransitionSink {
  readonly received: (AlarmTransition & { rowVisible: boolean })[] = [];
  constructor(private readonly db: Database) {
    super();
  }
  async enqueue(m: EntityManager, transitions: AlarmTransition[]): Promise<void> {
    for (const t of transitions) {
      const rows = await this.db.query('SELECT id FROM alarm_event_history WHERE id = ?', [t.historyId], m);
      this.received.push({ ...t, rowVisible: rows.length === 1 });
    }
  }
  of(eventId: number) {
    return this.received.filter((t) => t.eventId === eventId);
  }
}

/** Reading times a few minutes back from the real clock: the alarm timer that runs in the app sees them as the recent past. */
const BASE = Math.floor((Date.now() - 2 * 3_600_000) / 1000) * 1000;
const at = (s: number) => new Date(BASE + s * 1000).toISOString();

describe('alarm model (rules, delays, latch, shelving, maintenance, history, transitions)', () => {
  let t: TestApp;
  let sink: RecordingSink;
  let timer: AlarmTimer;
  let a: { clientId: number; deviceId: number };
  let b: { clientId: number; deviceId: number };

  const ingest = (deviceId: number, s: number, metrics: Record<string, number>) =>
    t.http
      .post('/api/ingest')
      .send({ readings: [{ deviceId, timestamp: at(s), metrics }] })
      .expect(200);
  const rule = async (body: Record<string, unknown>) =>
    (
      await t.http
        .post('/api/alarms/rules')
        .send({ clientId: a.clientId, name: 'Rule', ...body })
        .expect(201)
    ).body;
  const eventsOf = async (ruleId: number, query: Record<string, unknown> = {}) =>
    (
      (
        await t.http
          .get('/api/alarms/events')
          .query({ clientId: a.clientId, limit: 1000, ...query })
          .expect(200)
      ).body as { ruleId: number; id: number }[]
    ).filter((e) => e.ruleId === ruleId);
  const history = async (eventId: number) =>
    (await t.http.get(`/api/alarms/events/${eventId}/history`).expect(200)).body as {
      id: number;
      kind: string;
      at: string;
      muted: boolean;
      actor: string | null;
      comment: string | null;
      value: number | null;
    }[];

  beforeAll(async () => {
    t = await startTestApp();
    sink = new RecordingSink(t.app.get(Database));
    // A recorder in place of the notification outbox: what the alarm model hands over, and when.
    Object.assign(t.app.get(AlarmEventStore), { sink });
    timer = t.app.get(AlarmTimer);
    a = await seedDevice(t.http, 'Meter A', 'Client A');
    b = await seedDevice(t.http, 'Meter B', 'Client B');
  }, 60_000);
  afterAll(() => t?.close());

  describe('bad input: 400 naming the field', () => {
    const bad = async (body: Record<string, unknown>, field: string) => {
      const res = await t.http
        .post('/api/alarms/rules')
        .send({ clientId: a.clientId, name: 'x', metric: 'voltage', operator: '>', threshold: 1, ...body })
        .expect(400);
      expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
      return res.body;
    };
    it.each([
      [{ type: 'spike' }, 'type'],
      [{ severity: 'fatal' }, 'severity'],
      [{ onDelaySec: -1 }, 'onDelaySec'],
      [{ offDelaySec: -5 }, 'offDelaySec'],
      [{ deadband: -0.5 }, 'deadband'],
      [{ reAlarmSec: -1 }, 'reAlarmSec'],
      [{ onDelaySec: 1.5 }, 'onDelaySec'],
      [{ channelIds: [1, 'x'] }, 'channelIds'],
      [{ channelIds: 3 }, 'channelIds'],
      [{ escalationChannelId: 2 }, 'escalateAfterMin'],
      [{ type: 'offline', metric: undefined }, 'staleAfterSec'],
      [{ type: 'offline', staleAfterSec: 0 }, 'staleAfterSec'],
    ])('%j -> %s', async (body, field) => {
      await bad(body, field);
    });

    it('"volts" is refused with the list of valid names; a metric the client reports is accepted', async () => {
      const body = await bad({ metric: 'volts' }, 'metric');
      expect(body.message).toContain('volts');
      expect(body.message).toContain('voltage');
      expect(body.message).toContain('powerL1');
      await bad({ metric: 'tankLevel', deviceId: a.deviceId }, 'metric');
      await ingest(a.deviceId, 0, { tankLevel: 40 });
      const ok = await rule({ metric: 'tankLevel', deviceId: a.deviceId, operator: '<', threshold: 10 });
      expect(ok).toMatchObject({ type: 'threshold', severity: 'major', deadband: 0, onDelaySec: 0, offDelaySec: 0, latch: false, channelIds: [] });
      const metrics = (await t.http.get('/api/alarms/metrics').query({ deviceId: a.deviceId }).expect(200)).body;
      expect(metrics[0]).toEqual({ metric: 'tankLevel', unit: '', label: 'tankLevel', reported: true });
      expect(metrics).toContainEqual({ metric: 'voltage', unit: 'V', label: 'Voltage', reported: false });
      await t.http.delete(`/api/alarms/rules/${ok.id}`).expect(204);
    });

    it('maintenance, shelve and acknowledge bodies', async () => {
      let res = await t.http
        .post('/api/alarms/maintenance')
        .send({ deviceId: a.deviceId, from: at(10), to: at(5), reason: 'x' })
        .expect(400);
      expect(res.body.errors[0].field).toBe('to');
      res = await t.http
        .post('/api/alarms/maintenance')
        .send({ from: at(0), to: at(5), reason: 'x' })
        .expect(400);
      expect(res.body.errors[0].field).toBe('deviceId');
      res = await t.http
        .post('/api/alarms/maintenance')
        .send({ deviceId: a.deviceId, from: 'tomorrow', to: at(5), reason: 'x' })
        .expect(400);
      expect(res.body.errors[0].field).toBe('from');
      res = await t.http.post('/api/alarms/events/1/shelve').send({ until: 'soon', reason: 'x' }).expect(400);
      expect(res.body.errors[0].field).toBe('until');
    });
  });

  it('raise with an on-delay and clear with the deadband; every transition reaches the sink in order, after its history row, with the rule’s channels', async () => {
    const channel = async (name: string) =>
      (
        await t.http
          .post('/api/notification-channels')
          .send({ clientId: a.clientId, name, type: 'email', config: { to: ['ops@plant.test'] } })
          .expect(201)
      ).body.id as number;
    const [one, two, escalation] = [await channel('One'), await channel('Two'), await channel('Escalation')];
    const r = await rule({
      name: 'Overvoltage',
      metric: 'voltage',
      operator: '>',
      threshold: 242,
      deadband: 2,
      onDelaySec: 10,
      severity: 'critical',
      channelIds: [one, two],
      escalationChannelId: escalation,
      escalateAfterMin: 15,
    });
    expect(r).toMatchObject({
      severity: 'critical',
      deadband: 2,
      onDelaySec: 10,
      channelIds: [one, two],
      escalationChannelId: escalation,
      escalateAfterMin: 15,
    });
    await ingest(a.deviceId, 100, { voltage: 245 }); // pending since 100
    expect((await ingest(a.deviceId, 105, { voltage: 246 })).body.alarmEvents).toBe(0);
    expect((await ingest(a.deviceId, 110, { voltage: 247 })).body.alarmEvents).toBe(1); // 10 s held
    expect((await ingest(a.deviceId, 111, { voltage: 241 })).body.alarmsCleared).toBe(0); // inside the band
    expect((await ingest(a.deviceId, 112, { voltage: 240 })).body.alarmsCleared).toBe(1); // 242 - 2

    const [event] = await eventsOf(r.id);
    expect(event).toMatchObject({ severity: 'critical', value: 247, unit: 'V', raisedAt: at(110), clearedAt: at(112), active: false });
    const rows = await history(event.id);
    expect(rows.map((h) => [h.kind, h.at, h.value, h.muted])).toEqual([
      ['raised', at(110), 247, false],
      ['cleared', at(112), 240, false],
    ]);
    const sent = sink.of(event.id);
    expect(sent.map((s) => s.historyId)).toEqual(rows.map((h) => h.id));
    expect(sent.every((s) => s.rowVisible)).toBe(true);
    expect(sent[0]).toMatchObject({
      kind: 'raised',
      at: BASE + 110_000,
      ruleId: r.id,
      ruleName: 'Overvoltage',
      clientId: a.clientId,
      deviceId: a.deviceId,
      deviceName: 'Meter A',
      severity: 'critical',
      metric: 'voltage',
      value: 247,
      unit: 'V',
      operator: '>',
      threshold: 242,
      channelIds: [one, two],
      escalationChannelId: escalation,
      escalateAfterMin: 15,
      muted: false,
    });
    await t.http.patch(`/api/alarms/rules/${r.id}`).send({ enabled: false }).expect(200);
  });

  it('acknowledge with a comment: who and why are kept, the counter counts active unacknowledged, acknowledged ones apart', async () => {
    const r = await rule({ name: 'Overcurrent', metric: 'current', operator: '>=', threshold: 30 });
    await ingest(a.deviceId, 200, { current: 31 });
    const [event] = await eventsOf(r.id, { active: true });
    let counts = (await t.http.get('/api/alarms/events/counts').query({ clientId: a.clientId }).expect(200)).body;
    expect(counts).toEqual({ activeUnacknowledged: 1, activeAcknowledged: 0, shelved: 0 });
    const ack = await t.http.post(`/api/alarms/events/${event.id}/ack`).send({ comment: 'Breaker checked' }).expect(200);
    expect(ack.body).toMatchObject({ acknowledged: true, active: true, acknowledgedBy: TEST_ADMIN.email, comment: 'Breaker checked' });
    counts = (await t.http.get('/api/alarms/events/counts').query({ clientId: a.clientId }).expect(200)).body;
    expect(counts).toEqual({ activeUnacknowledged: 0, activeAcknowledged: 1, shelved: 0 });
    await t.http.post(`/api/alarms/events/${event.id}/ack`).send({ comment: 'again' }).expect(200);
    const rows = await history(event.id);
    expect(rows.map((h) => [h.kind, h.actor, h.comment])).toEqual([
      ['raised', null, null],
      ['acknowledged', TEST_ADMIN.email, 'Breaker checked'],
    ]);
    expect(sink.of(event.id).at(-1)).toMatchObject({ kind: 'acknowledged', by: TEST_ADMIN.email, comment: 'Breaker checked', muted: false });
    await t.http.patch(`/api/alarms/rules/${r.id}`).send({ enabled: false }).expect(200);
    // Switching the rule off cleared its event, on the record.
    expect((await history(event.id)).map((h) => h.kind)).toEqual(['raised', 'acknowledged', 'cleared']);
  });

  it('latch: the event stays active when the condition clears, and clears when acknowledged', async () => {
    const r = await rule({ name: 'Frequency', metric: 'frequency', operator: '<', threshold: 59.5, latch: true });
    await ingest(a.deviceId, 300, { frequency: 59.2 });
    await ingest(a.deviceId, 301, { frequency: 60 });
    let [event] = await eventsOf(r.id);
    expect(event).toMatchObject({ active: true, latched: true });
    const ack = await t.http.post(`/api/alarms/events/${event.id}/ack`).send({}).expect(200);
    expect(ack.body).toMatchObject({ active: false, acknowledged: true, latched: false });
    [event] = await eventsOf(r.id);
    expect((await history(event.id)).map((h) => h.kind)).toEqual(['raised', 'acknowledged', 'cleared']);
  });

  it('off-delay when readings stop and re-alarm: the alarm timer, on the clock', async () => {
    const now = Date.now();
    const r = await rule({ name: 'Power', metric: 'power', operator: '>', threshold: 5000, offDelaySec: 7200 + 600, reAlarmSec: 900 });
    await ingest(a.deviceId, 400, { power: 6000 });
    await ingest(a.deviceId, 410, { power: 4000 }); // clearing since 410 s; due 410 s + 7800 s, in the future
    const [event] = await eventsOf(r.id);
    const ack = await t.http.post(`/api/alarms/events/${event.id}/ack`).send({}).expect(200);
    const ackedAt = Date.parse(ack.body.acknowledgedAt);
    await timer.tick(Date.now());
    expect((await eventsOf(r.id, { active: true })).length).toBe(1);
    // Readings above the threshold again: the clearing is forgotten; the re-alarm falls due 900 s after the acknowledgement.
    await ingest(a.deviceId, 420, { power: 6000 });
    await timer.tick(ackedAt + 899_000);
    expect((await history(event.id)).map((h) => h.kind)).toEqual(['raised', 'acknowledged']);
    await timer.tick(ackedAt + 900_500);
    let rows = await history(event.id);
    expect(rows.map((h) => [h.kind, h.at])).toEqual([
      ['raised', at(400)],
      ['acknowledged', new Date(ackedAt).toISOString()],
      ['reAlarmed', new Date(ackedAt + 900_000).toISOString()],
    ]);
    expect((await eventsOf(r.id))[0]).toMatchObject({ acknowledged: false, active: true });
    // The readings stop while clear: the off-delay runs out on the timer, which clears at the deadline.
    await ingest(a.deviceId, 430, { power: 100 });
    await timer.tick(now);
    expect((await history(event.id)).at(-1)?.kind).toBe('reAlarmed');
    await timer.tick(BASE + (430 + 7800) * 1000 + 1000);
    rows = await history(event.id);
    expect(rows.at(-1)).toMatchObject({ kind: 'cleared', at: at(430 + 7800) });
  });

  it('offline: raised by the timer after staleAfterSec of silence, cleared by the next reading', async () => {
    const c = await seedDevice(t.http, 'Quiet meter', 'Client C');
    const r = (
      await t.http.post('/api/alarms/rules').send({ clientId: c.clientId, name: 'Silent', type: 'offline', staleAfterSec: 3600, severity: 'minor' }).expect(201)
    ).body;
    expect(r).toMatchObject({ type: 'offline', metric: null, staleAfterSec: 3600 });
    await ingest(c.deviceId, 0, { voltage: 230 }); // 2 h ago: silent for 2 h
    await timer.tick(Date.now());
    const events = (await t.http.get('/api/alarms/events').query({ deviceId: c.deviceId }).expect(200)).body;
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ ruleId: r.id, metric: '', value: 3600, unit: 's', raisedAt: at(3600), active: true, severity: 'minor' });
    await ingest(c.deviceId, 7000, { voltage: 230 });
    const [after] = (await t.http.get('/api/alarms/events').query({ deviceId: c.deviceId }).expect(200)).body;
    expect(after).toMatchObject({ active: false, clearedAt: at(7000) });
    expect(sink.of(after.id).map((s) => [s.kind, s.metric, s.unit, s.threshold])).toEqual([
      ['raised', null, 's', 3600],
      ['cleared', null, 's', 3600],
    ]);
  });

  it('chattering: the third raise within 60 s is marked and muted', async () => {
    const r = await rule({ name: 'Chatter', metric: 'powerFactor', operator: '<', threshold: 0.8 });
    for (let i = 0; i < 6; i++) await ingest(a.deviceId, 1000 + i * 5, { powerFactor: i % 2 === 0 ? 0.7 : 0.9 });
    const events = (await eventsOf(r.id)).reverse() as unknown as { id: number; chattering: boolean }[];
    expect(events.map((e) => e.chattering)).toEqual([false, false, true]);
    expect(sink.of(events[2].id).map((s) => [s.kind, s.muted])).toEqual([
      ['raised', true],
      ['cleared', true],
    ]);
    expect(sink.of(events[0].id).every((s) => !s.muted)).toBe(true);
  });

  it('maintenance window: events kept, transitions muted; outside it, not muted', async () => {
    const r = await rule({ name: 'Import', metric: 'importEnergy', type: 'counterReset' });
    const win = (
      await t.http
        .post('/api/alarms/maintenance')
        .send({ deviceId: a.deviceId, from: at(2000), to: at(2100), reason: 'Meter swap' })
        .expect(201)
    ).body;
    expect(win).toMatchObject({
      clientId: a.clientId,
      deviceId: a.deviceId,
      siteId: null,
      from: at(2000),
      to: at(2100),
      reason: 'Meter swap',
      createdBy: TEST_ADMIN.email,
    });
    await ingest(a.deviceId, 1990, { importEnergy: 50_000 });
    await ingest(a.deviceId, 2010, { importEnergy: 10 }); // reset, in the window
    await ingest(a.deviceId, 2020, { importEnergy: 20 });
    await ingest(a.deviceId, 2200, { importEnergy: 1 }); // reset again, after it
    const events = (await eventsOf(r.id)).reverse();
    expect(events).toHaveLength(2);
    expect(sink.of(events[0].id).map((s) => [s.kind, s.muted])).toEqual([
      ['raised', true],
      ['cleared', true],
    ]);
    expect(sink.of(events[1].id).map((s) => [s.kind, s.muted])).toEqual([['raised', false]]);
    expect((await t.http.get('/api/alarms/maintenance').query({ deviceId: a.deviceId }).expect(200)).body.map((w: { id: number }) => w.id)).toEqual([win.id]);
  });

  it('shelving hides an event and mutes it until then; unshelving is on the record', async () => {
    const r = await rule({ name: 'Reactive', metric: 'reactivePower', operator: '>', threshold: 100 });
    await ingest(a.deviceId, 3000, { reactivePower: 150 });
    const [event] = await eventsOf(r.id);
    const until = new Date(Date.now() + 3_600_000).toISOString();
    const shelved = await t.http.post(`/api/alarms/events/${event.id}/shelve`).send({ until, reason: 'Capacitor bank out' }).expect(200);
    expect(shelved.body).toMatchObject({ shelvedUntil: until, shelveReason: 'Capacitor bank out', active: true });
    expect(await eventsOf(r.id)).toHaveLength(0);
    expect(await eventsOf(r.id, { shelved: true })).toHaveLength(1);
    expect((await t.http.get('/api/alarms/events/counts').query({ clientId: a.clientId }).expect(200)).body.shelved).toBe(1);
    await ingest(a.deviceId, 3010, { reactivePower: 50 }); // cleared while shelved: muted
    await t.http.post(`/api/alarms/events/${event.id}/unshelve`).expect(200);
    expect(await eventsOf(r.id)).toHaveLength(1);
    expect((await history(event.id)).map((h) => [h.kind, h.muted])).toEqual([
      ['raised', false],
      ['shelved', true],
      ['cleared', true],
      ['unshelved', false],
    ]);
    const res = await t.http
      .post(`/api/alarms/events/${event.id}/shelve`)
      .send({ until: new Date(Date.now() - 1000).toISOString(), reason: 'x' })
      .expect(400);
    expect(res.body.errors[0].field).toBe('until');
  });

  it('the history is append-only: the database refuses to change a row', async () => {
    const db = t.app.get(Database);
    const [row] = await db.query<{ id: number }>('SELECT id FROM alarm_event_history ORDER BY id LIMIT 1');
    await expect(db.transaction((m) => db.query("UPDATE alarm_event_history SET kind = 'cleared' WHERE id = ?", [row.id], m))).rejects.toThrow(/append-only/);
  });

  it("a hostile tenant sees none of another client's alarms", async () => {
    const r = await rule({ name: 'Secret', metric: 'voltage', operator: '<', threshold: 100 });
    await ingest(a.deviceId, 5000, { voltage: 50 });
    const [event] = await eventsOf(r.id);
    const win = (
      await t.http
        .post('/api/alarms/maintenance')
        .send({ deviceId: a.deviceId, from: at(9000), to: at(9100), reason: 'x' })
        .expect(201)
    ).body;
    const other = await t.userAgent('admin', b.clientId);
    await other.get(`/api/alarms/events/${event.id}/history`).expect(404);
    await other.post(`/api/alarms/events/${event.id}/ack`).send({ comment: 'mine now' }).expect(404);
    await other
      .post(`/api/alarms/events/${event.id}/shelve`)
      .send({ until: new Date(Date.now() + 60_000).toISOString(), reason: 'x' })
      .expect(404);
    await other.post(`/api/alarms/events/${event.id}/unshelve`).expect(404);
    await other.get('/api/alarms/metrics').query({ deviceId: a.deviceId }).expect(404);
    await other
      .post('/api/alarms/maintenance')
      .send({ deviceId: a.deviceId, from: at(0), to: at(10), reason: 'x' })
      .expect(404);
    await other.delete(`/api/alarms/maintenance/${win.id}`).expect(404);
    expect((await other.get('/api/alarms/maintenance').expect(200)).body).toEqual([]);
    expect((await other.get('/api/alarms/events/counts').expect(200)).body).toEqual({ activeUnacknowledged: 0, activeAcknowledged: 0, shelved: 0 });
    await other.post('/api/alarms/rules').send({ clientId: a.clientId, name: 'x', metric: 'voltage', operator: '>', threshold: 1 }).expect(404);
    expect((await history(event.id)).map((h) => h.kind)).toEqual(['raised']);
    await t.http.delete(`/api/alarms/maintenance/${win.id}`).expect(204);
  });
});
