import { startSimulator, startTuyaCloud, type RunningSimulator } from '@pieng/simulator';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startTestApp, TestApp } from '../../testing/test-app';
import { open, type FileHandle } from 'node:fs/promises';
import { verifyAuditChain } from '../audit/audit-chain';
import { checkAuditAgainstDatabase } from '../audit/audit-database-check';
import { AuditTrailService } from '../audit/audit-trail.service';
import { IngestService } from '../ingest/ingest.service';
import { sleep, waitFor } from '../../testing/wait';
import { DevicesService } from '../devices/devices.service';

const TIMEOUT_MS = 300;

/*
 * PZEM-004T deterministic registers of the simulator, decoded by hand with the scaling of
 * PROTOCOLS.md (32-bit values low word first):
 *   0x0000 voltage   2302 x 0.1 V           = 230.2 V
 *   0x0001/2 current low 0x03E8 high 0      = 1000 x 0.001 A = 1 A
 *   0x0003/4 power   low 2072 high 0        = 2072 x 0.1 W   = 207.2 W
 *   0x0005/6 energy  low 12345 high 0       = 12345 x 1 Wh   = 12345 Wh
 *   0x0007 frequency 500 x 0.1 Hz           = 50 Hz
 *   0x0008 pf        90 x 0.01              = 0.9
 *   0x0009 alarm     0x0000                 = 0
 */
const PZEM_DECODED = { voltage: 230.2, current: 1, power: 207.2, energy: 12345, frequency: 50, powerFactor: 0.9, alarm: 0 };

function expectDecoded(metrics: Record<string, number>) {
  expect(Object.keys(metrics).sort()).toEqual(Object.keys(PZEM_DECODED).sort());
  for (const [metric, value] of Object.entries(PZEM_DECODED)) expect(metrics[metric]).toBeCloseTo(value, 9);
}

describe('Polling Modbus TCP meters', () => {
  let sim: RunningSimulator;
  let t: TestApp;
  let clientId: number;
  let healthy: number;
  let silent: number;
  let line: string;

  const modbusConfig = (unitId: number, extra: Record<string, unknown> = {}) => ({
    transport: 'tcp',
    host: '127.0.0.1',
    port: sim.tcpPort,
    unitId,
    driver: 'pzem004t',
    timeoutMs: TIMEOUT_MS,
    ...extra,
  });
  const createDevice = async (name: string, body: Record<string, unknown>) =>
    (
      await t.http
        .post('/api/devices')
        .send({ clientId, name, ...body })
        .expect(201)
    ).body.id as number;
  const readings = async (deviceId: number) =>
    (await t.http.get('/api/metrics').query({ deviceId, limit: 10000 }).expect(200)).body.items as Array<{
      metric: string;
      ts: string;
      value: number;
      source: string;
    }>;
  const device = async (id: number) => (await t.http.get(`/api/devices/${id}`).expect(200)).body;

  beforeAll(async () => {
    sim = await startSimulator({
      tcpPort: 0,
      deterministic: true,
      meters: [
        { model: 'pzem004t', slaveId: 1 },
        { model: 'pzem004t', slaveId: 2 },
      ],
    });
    line = `127.0.0.1:${sim.tcpPort}`;
    sim.setSilent(2, true);
    t = await startTestApp({ ENABLE_POLLING: 'true' });
    clientId = (await t.http.post('/api/clients').send({ name: 'Polled client' }).expect(201)).body.id;
    healthy = await createDevice('Kitchen PZEM', { deviceType: 'modbus', pollIntervalSec: 1, config: modbusConfig(1) });
    silent = await createDevice('Garage PZEM', { deviceType: 'modbus', pollIntervalSec: 1, config: modbusConfig(2) });
  });
  afterAll(async () => {
    await t?.close();
    await sim?.close();
  });

  it("stores the healthy meter's readings (source modbus-tcp) while the silent one backs off, then sees it recover", async () => {
    const failing = await waitFor(
      'the silent meter records a failure',
      async () => {
        const d = await device(silent);
        return d.consecutiveFailures > 0 ? d : undefined;
      },
      4000,
    );
    expect(['backoff', 'offline']).toContain(failing.status);
    expect(failing.lastError).toBe(`meter 2 on ${line} did not answer within ${TIMEOUT_MS} ms`);

    // The dead neighbour on the same gateway does not stop the healthy meter: two readings at least.
    const rows = await waitFor(
      'two readings of the healthy meter',
      async () => {
        const items = await readings(healthy);
        return new Set(items.map((i) => i.ts)).size >= 2 ? items : undefined;
      },
      5000,
    );
    expect(rows.every((r) => r.source === 'modbus-tcp')).toBe(true);
    const first = rows.filter((r) => r.ts === rows[0].ts);
    expectDecoded(Object.fromEntries(first.map((r) => [r.metric, r.value])));
    const healthyNow = await device(healthy);
    expect(healthyNow).toMatchObject({ status: 'online', consecutiveFailures: 0, lastError: null, lineWarning: null });
    // Alone on its database, this instance (the test process) holds every device's lease.
    expect(healthyNow.polledBy).toContain(` pid ${process.pid} (`);
    expect(
      (await t.http.get('/api/devices').query({ clientId }).expect(200)).body.every((d: { polledBy: string | null }) => d.polledBy === healthyNow.polledBy),
    ).toBe(true);
    expect(await readings(silent)).toEqual([]);

    // Answering again: back online within its backoff (2 s after one failure, 4 s after two).
    sim.setSilent(2, false);
    const recovered = await waitFor(
      'the silent meter coming back online',
      async () => {
        const d = await device(silent);
        return d.status === 'online' ? d : undefined;
      },
      6000,
    );
    expect(recovered).toMatchObject({ consecutiveFailures: 0, lastError: null });
    expect((await readings(silent)).length).toBeGreaterThan(0);
  }, 15000);

  it('POST /api/devices/:id/poll reads now and stores the decoded values', async () => {
    const res = await t.http.post(`/api/devices/${healthy}/poll`).expect(200);
    expect(res.body).toMatchObject({ deviceId: healthy, source: 'modbus-tcp' });
    expect(typeof res.body.durationMs).toBe('number');
    expectDecoded(res.body.metrics);
    const stored = (await readings(healthy)).filter((r) => r.ts === res.body.ts);
    expect(stored).toHaveLength(7);
  });

  it('tags the readings of a simulated device as simulator', async () => {
    const id = await createDevice('Demo meter', { deviceType: 'modbus', pollIntervalSec: 3600, config: modbusConfig(1, { simulated: true }) });
    const res = await t.http.post(`/api/devices/${id}/poll`).expect(200);
    expect(res.body.source).toBe('simulator');
    expectDecoded(res.body.metrics);
    const stored = await readings(id);
    expect(stored.length).toBeGreaterThanOrEqual(7);
    expect(stored.every((r) => r.source === 'simulator')).toBe(true);
  });

  it('answers 504 with the link named when the meter stays silent, 422 for an api device, 404 for an unknown id', async () => {
    sim.setSilent(2, true);
    try {
      const res = await t.http.post(`/api/devices/${silent}/poll`).expect(504);
      expect(res.body).toEqual({ statusCode: 504, message: `meter 2 on ${line} did not answer within ${TIMEOUT_MS} ms` });
    } finally {
      sim.setSilent(2, false);
    }
    const api = await createDevice('Pushing meter', { deviceType: 'api' });
    const res = await t.http.post(`/api/devices/${api}/poll`).expect(422);
    expect(res.body).toEqual({ statusCode: 422, message: 'this device pushes its own readings; nothing to poll' });
    await t.http.post('/api/devices/999999/poll').expect(404);
    await t.http.post(`/api/devices/${api}/reset-energy`).expect(422);
    await t.http.post('/api/devices/999999/reset-energy').expect(404);
  });

  it('answers 502 when the gateway cannot be reached', async () => {
    // A loopback port nobody listens on: the connection is refused at once.
    const id = await createDevice('Unplugged gateway', { deviceType: 'modbus', pollIntervalSec: 3600, active: false, config: { ...modbusConfig(1), port: 1 } });
    const res = await t.http.post(`/api/devices/${id}/poll`).expect(502);
    expect(res.body.statusCode).toBe(502);
    expect(res.body.message).toContain('127.0.0.1:1');
  });

  it('warns on the device when the intervals on a serial line cannot fit its wire time', async () => {
    // SDM630 over an RTU gateway at 1200 baud: 2 requests (76 + 2 registers), about 1.5 s of wire time, polled every second.
    const config = { transport: 'rtu-tcp', host: '127.0.0.1', port: 1, slaveId: 5, driver: 'sdm630', baudRate: 1200, timeoutMs: 100 };
    const id = await createDevice('Slow line SDM630', { deviceType: 'modbus', pollIntervalSec: 1, config });
    const warned = await waitFor(
      'a line warning',
      async () => {
        const d = await device(id);
        return d.lineWarning ? d : undefined;
      },
      3000,
    );
    expect(typeof warned.lineWarning).toBe('string');
    const listed = (await t.http.get('/api/devices').query({ clientId }).expect(200)).body as Array<{ id: number; lineWarning: string | null }>;
    expect(listed.find((d) => d.id === id)?.lineWarning).toBe(warned.lineWarning);
    expect(listed.find((d) => d.id === healthy)?.lineWarning).toBeNull();
    // Slower polling makes it fit; the warning goes at the next reload.
    await t.http.patch(`/api/devices/${id}`).send({ pollIntervalSec: 60 }).expect(200);
    await waitFor('the warning to go', async () => ((await device(id)).lineWarning === null ? true : undefined), 3000);
  });

  it('POST /api/devices/:id/reset-energy resets a PZEM energy counter', async () => {
    const res = await t.http.post(`/api/devices/${healthy}/reset-energy`).expect(200);
    expect(res.body).toEqual({ deviceId: healthy, reset: true });
    const after = await t.http.post(`/api/devices/${healthy}/poll`).expect(200);
    expect(after.body.metrics.energy).toBe(0);
    // The drop to 0 is explained in the audit trail: who reset which meter, and the chain still holds.
    const auditPath = join(t.dataDir, 'audit.log');
    const events = readFileSync(auditPath, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l))
      .filter((l) => l.event);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      event: 'energy-reset',
      deviceId: healthy,
      source: 'modbus-tcp',
      metrics: {},
      actor: expect.stringContaining('(admin@test.local)'),
    });
    expect(await verifyAuditChain(auditPath)).toMatchObject({ ok: true });
  });

  it('goes on polling at the interval while the audit disk is full, counts nothing against the meter, and audits every stored reading once space is back', async () => {
    const ingest = t.app.get(IngestService);
    const audit = t.app.get(AuditTrailService) as unknown as { handle: FileHandle };
    const attempts: number[] = [];
    const outcomes: string[] = [];
    const realIngest = ingest.ingest.bind(ingest);
    const spyIngest = jest.spyOn(ingest, 'ingest').mockImplementation(async (batch, scope, source) => {
      if (batch[0]?.deviceId !== healthy) return realIngest(batch, scope, source);
      attempts.push(Date.now());
      try {
        return await realIngest(batch, scope, source);
      } catch (err) {
        outcomes.push(`${(err as { statusCode?: number }).statusCode}: ${(err as Error).message}`);
        throw err;
      }
    });
    // The audit trail's disk fills up: every write to it fails with ENOSPC, as /dev/full does (a tmpfs needs root; the system suite fills a real one).
    const realHandle = audit.handle;
    audit.handle = await open('/dev/full', 'a');
    const from = Date.now();
    let health: { failing: string[]; audit: { status: string; error: string } } | undefined;
    try {
      await new Promise((r) => setTimeout(r, 4000));
      health = (await t.http.get('/api/health').expect(200)).body;
    } finally {
      await audit.handle.close();
      audit.handle = realHandle;
    }
    // Every second, as configured: a meter failure would have backed off to 2 s, then 4 s (2 attempts at most).
    expect(attempts.filter((at) => at >= from).length).toBeGreaterThanOrEqual(3);
    expect(outcomes.length).toBeGreaterThanOrEqual(3);
    expect(outcomes.every((o) => o.startsWith('507: The disk holding the audit trail'))).toBe(true);
    expect(health?.failing).toContain('audit');
    expect(health?.audit).toMatchObject({ status: 'refusing', error: expect.stringContaining('is full; readings are not accepted until space is freed') });
    // Space is back: the server takes readings again by itself, the meter was never counted as failing.
    const restoredAt = Date.now();
    await waitFor('a reading stored again', async () => (await readings(healthy)).some((r) => Date.parse(r.ts) >= restoredAt), 5000);
    spyIngest.mockRestore();
    expect(await device(healthy)).toMatchObject({ consecutiveFailures: 0, lastError: null });
    // The reading committed when the first write failed has its line too: the trail and the database agree.
    expect(await verifyAuditChain(t.config.auditLogPath)).toMatchObject({ ok: true });
    expect(await checkAuditAgainstDatabase([t.config.auditLogPath], t.config.database)).toMatchObject({ ok: true });
  }, 20_000);
});

describe('Polling beside many devices that push their own readings', () => {
  it('loads only the polled devices, and only when a device changed, not every device every second', async () => {
    const t = await startTestApp({ ENABLE_POLLING: 'true' });
    try {
      const clientId = (await t.http.post('/api/clients').send({ name: 'Integrator' }).expect(201)).body.id;
      const key = (await t.http.post('/api/api-keys').send({ name: 'master', scope: 'forward', clientId }).expect(201)).body.key;
      const uids = Array.from({ length: 500 }, (_, i) => `pushed-${i}`);
      await t.anon
        .post('/api/ingest')
        .set('X-API-Key', key)
        .send({ readings: uids.map((uid) => ({ deviceUid: uid, metrics: { power: 1 } })), devices: uids.map((uid) => ({ uid, name: uid })) })
        .expect(200);
      // One polled meter, on a port nobody listens on (it fails and backs off: failures change no device settings).
      const meter = (
        await t.http
          .post('/api/devices')
          .send({
            clientId,
            name: 'Polled meter',
            deviceType: 'modbus',
            pollIntervalSec: 1,
            config: { transport: 'tcp', host: '127.0.0.1', port: 1, unitId: 1, driver: 'pzem004t', timeoutMs: 100 },
          })
          .expect(201)
      ).body.id;
      await waitFor(
        'the polled meter tried',
        async () => ((await t.http.get(`/api/devices/${meter}`).expect(200)).body.consecutiveFailures > 0 ? true : undefined),
        5000,
      );

      const devices = t.app.get(DevicesService);
      const loaded: number[] = [];
      const list = jest.spyOn(devices, 'list');
      const listPolled = jest.spyOn(devices, 'listPolled').mockImplementation(async function (this: DevicesService) {
        const rows = await DevicesService.prototype.listPolled.call(this);
        loaded.push(rows.length);
        return rows;
      });
      try {
        // Three seconds, three lease renewals, nothing changed: nothing loaded.
        await sleep(3000);
        expect(list).not.toHaveBeenCalled();
        expect(loaded).toEqual([]);
        // An edit on this (or any) instance is seen at the next look, within about a second: the one polled device is loaded.
        await t.http.patch(`/api/devices/${meter}`).send({ name: 'Polled meter, renamed' }).expect(200);
        await waitFor('the change seen by the poller', async () => (loaded.length > 0 ? true : undefined), 3000);
        expect(loaded).toEqual([1]);
        expect(list).not.toHaveBeenCalled();
      } finally {
        list.mockRestore();
        listPolled.mockRestore();
      }
    } finally {
      await t.close();
    }
  }, 30_000);
});

describe('Polling switched off', () => {
  let t: TestApp;
  afterAll(() => t?.close());

  it('reads nothing on its own', async () => {
    t = await startTestApp();
    const clientId = (await t.http.post('/api/clients').send({ name: 'Idle' }).expect(201)).body.id;
    const id = (
      await t.http
        .post('/api/devices')
        .send({
          clientId,
          name: 'Idle meter',
          deviceType: 'modbus',
          pollIntervalSec: 1,
          config: { transport: 'tcp', host: '127.0.0.1', port: 1, driver: 'pzem004t', timeoutMs: 100 },
        })
        .expect(201)
    ).body.id;
    await new Promise((r) => setTimeout(r, 1500));
    const d = (await t.http.get(`/api/devices/${id}`).expect(200)).body;
    expect(d).toMatchObject({ consecutiveFailures: 0, lastError: null, status: 'unknown' });
  });
});

describe('Polling a Tuya plug within the monthly call quota', () => {
  it('stretches the interval so the quota lasts, and says so in the device status', async () => {
    const cloud = await startTuyaCloud({ port: 0, accessId: 'sim-id', accessSecret: 'sim-secret', deviceIds: ['plugA'] });
    const t = await startTestApp({ ENABLE_POLLING: 'true' });
    try {
      const clientId = (await t.http.post('/api/clients').send({ name: 'Plug owner' }).expect(201)).body.id;
      const config = {
        region: 'eu',
        endpoint: `http://127.0.0.1:${cloud.port}`,
        accessId: 'sim-id',
        accessSecret: 'sim-secret',
        tuyaDeviceId: 'plugA',
        simulated: true,
        // 400 calls are kept back for tokens: 100 left for the rest of the month cannot pay for one poll a second.
        monthlyCallQuota: 500,
      };
      const id = (await t.http.post('/api/devices').send({ clientId, name: 'Freezer plug', deviceType: 'tuya', pollIntervalSec: 1, config }).expect(201)).body
        .id;
      const status = await waitFor(
        'a quota warning on the Tuya device',
        async () => {
          const d = (await t.http.get(`/api/devices/${id}`).expect(200)).body;
          return d.lineWarning ? d : undefined;
        },
        8000,
      );
      expect(status.status).toBe('online');
      expect(status.lineWarning).toMatch(/Tuya|quota|calls/i);
      const first = (await t.http.get('/api/metrics').query({ deviceId: id, metric: 'voltage' }).expect(200)).body.items;
      expect(first).toHaveLength(1);
      expect(first[0].source).toBe('simulator');
      // Configured for every second, polled far less often: no second reading 2.5 s later.
      await new Promise((r) => setTimeout(r, 2500));
      const later = (await t.http.get('/api/metrics').query({ deviceId: id, metric: 'voltage' }).expect(200)).body.items;
      expect(later).toHaveLength(1);
    } finally {
      await t.close();
      await cloud.close();
    }
  }, 20_000);
});
