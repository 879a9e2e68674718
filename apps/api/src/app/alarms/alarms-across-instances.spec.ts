import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPgDatabase, seedDevice, startTestApp, TestApp } from '../../testing/test-app';
import { TEST_ENGINES } from '../../testing/test-db';
import { Database } from '../database/database.service';

const T0 = Date.UTC(2026, 10, 27, 8, 0, 0);

/**
 * Two instances on one database (PostgreSQL as scale-out runs it; on SQLite two servers on one
 * file, which exercises the same path): rules are changed through `one`, readings arrive at `two`,
 * whose evaluator had cached the rules before the change.
 */
describe.each(TEST_ENGINES)('Alarm rules changed through another instance (%s)', (engine) => {
  let one: TestApp;
  let two: TestApp;
  let cleanup: () => Promise<void>;
  let second = 0;
  /** One reading per call, each a second after the one before. */
  const reading = (deviceId: number, voltage: number) => ({
    deviceId,
    timestamp: new Date(T0 + 1000 * second++).toISOString(),
    metrics: { voltage },
  });
  const ingestOnTwo = (deviceId: number, voltage: number) => two.http.post('/api/ingest').send({ readings: [reading(deviceId, voltage)] });
  /** A rule "voltage > threshold" made through the given instance. */
  const overvoltageRule = async (app: TestApp, rule: { clientId: number; deviceId?: number; threshold: number; name?: string }): Promise<{ id: number }> =>
    (
      await app.http
        .post('/api/alarms/rules')
        .send({ name: 'Overvoltage', metric: 'voltage', operator: '>', ...rule })
        .expect(201)
    ).body;
  /** Events stored for the device, whatever their rule (the events API shows only those of existing rules). */
  const storedEvents = async (deviceId: number) =>
    Number(
      (
        await two.app.get(Database).query<{
          n: number | string;
        }>('SELECT COUNT(*) AS n FROM alarm_events WHERE device_id = ?', [deviceId])
      )[0].n,
    );

  beforeAll(async () => {
    let url: string;
    if (engine === 'postgres') {
      const pg = await createPgDatabase();
      url = pg.url;
      cleanup = pg.drop;
    } else {
      const dir = mkdtempSync(join(tmpdir(), 'pieng-shared-db-'));
      url = `sqlite:${join(dir, 'shared.db')}`;
      cleanup = async () => rmSync(dir, { recursive: true, force: true });
    }
    // One after the other: the first migrates the database, the second joins it.
    one = await startTestApp({ DATABASE_URL: url });
    two = await startTestApp({ DATABASE_URL: url });
  }, 60_000);
  afterAll(async () => {
    await two?.close();
    await one?.close();
    await cleanup?.();
  }, 30_000);

  it('a rule created, tightened or disabled on one applies on the other from its next batch', async () => {
    const { clientId, deviceId } = await seedDevice(one.http, 'Meter 1', 'Client 1');
    // Instance two caches the client's rules (none yet).
    expect((await ingestOnTwo(deviceId, 260).expect(200)).body.alarmEvents).toBe(0);

    const rule = await overvoltageRule(one, { clientId, threshold: 240 });
    expect((await ingestOnTwo(deviceId, 245).expect(200)).body.alarmEvents).toBe(1);
    expect((await ingestOnTwo(deviceId, 235).expect(200)).body.alarmsCleared).toBe(1);

    await one.http.patch(`/api/alarms/rules/${rule.id}`).send({ threshold: 250 }).expect(200);
    expect((await ingestOnTwo(deviceId, 245).expect(200)).body.alarmEvents).toBe(0);
    expect((await ingestOnTwo(deviceId, 251).expect(200)).body.alarmEvents).toBe(1);

    await one.http.patch(`/api/alarms/rules/${rule.id}`).send({ enabled: false }).expect(200);
    // The disable closed the open event; readings far above the threshold on two raise nothing new.
    expect((await ingestOnTwo(deviceId, 200).expect(200)).body).toMatchObject({ stored: 1, alarmEvents: 0, alarmsCleared: 0 });
    expect((await ingestOnTwo(deviceId, 300).expect(200)).body).toMatchObject({ stored: 1, alarmEvents: 0 });
    const events = (await two.http.get('/api/alarms/events').query({ deviceId }).expect(200)).body as Array<{ value: number; active: boolean }>;
    expect(events.map((e) => [e.value, e.active])).toEqual([
      [251, false],
      [245, false],
    ]);
  }, 60_000);

  it('a rule deleted on one: the readings that matched it are stored on the other (200), never refused', async () => {
    const { clientId, deviceId } = await seedDevice(one.http, 'Meter 2', 'Client 2');
    const rule = await overvoltageRule(one, { clientId, deviceId, threshold: 240 });
    expect((await ingestOnTwo(deviceId, 230).expect(200)).body.alarmEvents).toBe(0);
    expect((await ingestOnTwo(deviceId, 241).expect(200)).body.alarmEvents).toBe(1);

    await one.http.delete(`/api/alarms/rules/${rule.id}`).expect(204);
    const res = await two.http
      .post('/api/ingest')
      .send({
        readings: [reading(deviceId, 300), reading(deviceId, 230), reading(deviceId, 310)],
      })
      .expect(200);
    expect(res.body).toMatchObject({
      readings: 3,
      stored: 3,
      alarmEvents: 0,
      alarmsCleared: 0,
    });
    const stored = (
      await two.http
        .get('/api/metrics')
        .query({ deviceId, metric: 'voltage', from: T0, to: T0 + 86_400_000 })
        .expect(200)
    ).body.items;
    expect(stored.map((i: { value: number }) => i.value)).toEqual(expect.arrayContaining([300, 230, 310]));
    expect(await storedEvents(deviceId)).toBe(0);
  }, 60_000);

  // Concurrent writes from two servers are a PostgreSQL matter: SQLite serves one instance, and two
  // servers on one SQLite file (as above, one request at a time) would only test SQLite's file locks.
  if (engine === 'postgres')
    it('rules created on two, disabled and deleted on one while two ingests matching readings: every batch is stored, no event outlives its rule', async () => {
      const { clientId, deviceId } = await seedDevice(one.http, 'Meter 3', 'Client 3');
      const statuses: number[] = [];
      let stop = false;
      // Two writers on instance two, each alternating above and below the threshold (raise, clear, raise...).
      const writers = [0, 1].map(async (w) => {
        let i = 0;
        while (!stop) {
          const res = await two.http.post('/api/ingest').send({
            readings: [reading(deviceId, (i++ + w) % 2 === 0 ? 260 : 230)],
          });
          statuses.push(res.status);
        }
      });
      try {
        for (let round = 0; round < 12; round++) {
          // Operators behind a load balancer: the rule is made through two, removed through one.
          const rule = await overvoltageRule(two, { clientId, threshold: 250, name: `Rule ${round}` });
          const before = statuses.length;
          while (statuses.length < before + 4) await new Promise((r) => setTimeout(r, 5));
          if (round % 3 === 2) await one.http.patch(`/api/alarms/rules/${rule.id}`).send({ enabled: false }).expect(200);
          await one.http.delete(`/api/alarms/rules/${rule.id}`).expect(204);
        }
      } finally {
        stop = true;
        await Promise.all(writers);
      }
      expect(statuses.length).toBeGreaterThan(24);
      expect(statuses.filter((s) => s !== 200)).toEqual([]);
      expect(await storedEvents(deviceId)).toBe(0);
      expect((await one.http.get('/api/alarms/rules').query({ clientId }).expect(200)).body).toEqual([]);
    }, 90_000);
});
