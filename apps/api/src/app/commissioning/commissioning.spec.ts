import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startSimulator, type RunningSimulator } from '@pieng/simulator';
import { startTestApp, TestApp } from '../../testing/test-app';
import { waitFor } from '../../testing/wait';
import { verifyAuditChain } from '../audit/audit-chain';

/** Opens a scan's event stream and collects its `progress` events until it ends. */
async function collectEvents(
  t: TestApp,
  token: string,
  jobId: string,
): Promise<{ status: number; events: Array<{ status: string; scanned: number; found: unknown[] }> }> {
  const res = await fetch(`${t.url}/api/lines/scan/${jobId}/events`, { headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' } });
  const text = await res.text();
  const events = text
    .split('\n\n')
    .filter((block) => /^event: progress$/m.test(block))
    .map((block) => JSON.parse((block.split('\n').find((l) => l.startsWith('data: ')) ?? 'data: null').slice(6)));
  return { status: res.status, events };
}

const finished = (t: TestApp, jobId: string) =>
  waitFor(`scan ${jobId} to finish`, async () => {
    const res = await t.http.get(`/api/lines/scan/${jobId}`).expect(200);
    return res.body.status !== 'running' ? res.body : undefined;
  });

describe('commissioning: line scan, layout detection, PZEM commands (simulator over TCP)', () => {
  let t: TestApp;
  let tcp: RunningSimulator;
  let rtu: RunningSimulator;
  let clientId: number;
  let otherClientId: number;
  const tcpLine = () => ({ transport: 'tcp', host: '127.0.0.1', port: tcp.tcpPort });
  const rtuLine = () => ({ transport: 'rtu-tcp', host: '127.0.0.1', port: rtu.rtuTcpPort, driver: 'pzem004t' });

  beforeAll(async () => {
    // Ids 1, 2 and 3 present; 3 answers every request with exception 02. Unknown unit ids get the gateway's 0x0B.
    tcp = await startSimulator({
      tcpPort: 0,
      deterministic: true,
      meters: [
        { model: 'pzem004t', slaveId: 1 },
        { model: 'pzem004t', slaveId: 2 },
        { model: 'pzem004t', slaveId: 3 },
        // Layout detection: float32 CDAB (230.5 V, 50 Hz) and int32 BADC (123456 Wh) at known addresses (see the connectors' commissioning.spec.ts).
        {
          model: 'sdm120',
          slaveId: 9,
          registers: [
            { function: 4, address: 0x100, words: [0x8000, 0x4366, 0x0000, 0x4248, 0x0000, 0x0000] },
            { function: 3, address: 0x20, words: [0x0100, 0x40e2] },
          ],
        },
      ],
    });
    tcp.setFault(3, { kind: 'exception', code: 2 });
    // An RTU gateway line: PZEMs at 1, 2 and 5; every other id is silent, so each costs its timeout.
    rtu = await startSimulator({
      rtuTcpPort: 0,
      deterministic: true,
      meters: [
        { model: 'pzem004t', slaveId: 1 },
        { model: 'pzem004t', slaveId: 2 },
        { model: 'pzem004t', slaveId: 5 },
      ],
    });
    t = await startTestApp({ MODBUS_ALLOWED_NETWORKS: '127.0.0.0/8' });
    clientId = (await t.http.post('/api/clients').send({ name: 'Commissioning client' }).expect(201)).body.id;
    otherClientId = (await t.http.post('/api/clients').send({ name: 'Other client' }).expect(201)).body.id;
  });
  afterAll(async () => {
    await t?.close();
    await tcp?.close();
    await rtu?.close();
  });

  describe('line scan', () => {
    it('finds ids 1, 2 and 3 (3 by its exception) and not 4 or 5 (the gateway says nobody is there), with progress events', async () => {
      const operator = await t.userAgent('operator', clientId);
      const started = await operator.post('/api/lines/scan').send({ connection: tcpLine(), from: 1, to: 5, timeoutMs: 300 }).expect(201);
      expect(started.body.estimate).toBe('5 ids × 300 ms timeout: at most 2 s when none answers');
      const job = await finished(t, started.body.jobId);
      expect(job).toMatchObject({ status: 'done', scanned: 5, total: 5, estimatedMsLeft: 0 });
      expect(job.found.map((f: { id: number; answered: string; exceptionCode?: number }) => [f.id, f.answered, f.exceptionCode])).toEqual([
        [1, 'registers', undefined],
        [2, 'registers', undefined],
        [3, 'exception', 2],
      ]);
      for (const f of job.found) expect(f.ms).toBeGreaterThanOrEqual(0);
      // A finished scan's stream gives its final state at once.
      const stream = await collectEvents(t, t.adminToken, started.body.jobId);
      expect(stream.status).toBe(200);
      expect(stream.events.at(-1)).toMatchObject({ status: 'done', scanned: 5 });
    });

    it('streams one progress event per id while it runs', async () => {
      const started = await t.http.post('/api/lines/scan').send({ connection: tcpLine(), from: 1, to: 4, timeoutMs: 300 }).expect(201);
      const stream = await collectEvents(t, t.adminToken, started.body.jobId);
      const scanned = stream.events.map((e) => e.scanned);
      // Each id reported once, in order, ending with the final state (the first event may already be past id 1).
      expect(scanned.at(-1)).toBe(4);
      expect([...scanned].sort((a, b) => a - b)).toEqual(scanned);
      expect(stream.events.at(-1)?.status).toBe('done');
    });

    it('answers 409 to a second scan of the same line, reads a polled meter between its probes, and cancels', async () => {
      const device = (
        await t.http
          .post('/api/devices')
          .send({ clientId, name: 'PZEM on the gateway', deviceType: 'modbus', config: { ...rtuLine(), slaveId: 1, timeoutMs: 300 } })
          .expect(201)
      ).body.id;
      // Ids 10-247 are silent: 238 x 100 ms, about 24 s, unless cancelled.
      const started = await t.http.post('/api/lines/scan').send({ connection: rtuLine(), from: 10, to: 247, timeoutMs: 100 }).expect(201);
      expect(started.body.estimate).toMatch(/^238 ids × 100 ms timeout plus 12\.0 ms on the wire at 9600 8N1: at most 27 s/);
      const second = await t.http.post('/api/lines/scan').send({ connection: rtuLine(), from: 1, to: 3 });
      // (On failure, say what became of the first scan.)
      if (second.status !== 409)
        throw new Error(
          `second scan answered ${second.status}; the first: ${JSON.stringify((await t.http.get(`/api/lines/scan/${started.body.jobId}`)).body)}`,
        );
      expect(second.body.message).toContain('already running on this line');
      await waitFor('the scan to probe a few ids', async () => (await t.http.get(`/api/lines/scan/${started.body.jobId}`)).body.scanned >= 3);
      // A poll while the scan runs goes through the same line queue: it waits at most one probe, and succeeds.
      const before = rtu.receiveLog.length;
      const poll = await t.http.post(`/api/devices/${device}/poll`).expect(200);
      expect(poll.body.metrics.voltage).toBe(230.2);
      expect(poll.body.durationMs).toBeLessThan(100 + 300);
      // The poll's request and reply sit between probes: no request went out while the meter's reply was awaited.
      const log = rtu.receiveLog.slice(before);
      const pollRequest = log.findIndex((e) => e.direction === 'request' && e.slaveId === 1);
      expect(pollRequest).toBeGreaterThanOrEqual(0);
      expect(log[pollRequest + 1]).toMatchObject({ direction: 'reply', slaveId: 1 });
      const cancelled = await t.http.post(`/api/lines/scan/${started.body.jobId}/cancel`).expect(200);
      expect(cancelled.body.status).toBe('cancelled');
      expect(cancelled.body.scanned).toBeLessThan(238);
      expect((await t.http.get(`/api/lines/scan/${started.body.jobId}`).expect(200)).body.status).toBe('cancelled');
      // The line is free again.
      const again = await t.http.post('/api/lines/scan').send({ connection: rtuLine(), from: 1, to: 2, timeoutMs: 100 }).expect(201);
      expect((await finished(t, again.body.jobId)).found.map((f: { id: number }) => f.id)).toEqual([1, 2]);
      await t.http.delete(`/api/devices/${device}`).query({ purge: true }).expect(204);
    });

    it('answers 400 naming the field for a range outside 1-247, a reversed range, a slave id in the connection or a bad probe', async () => {
      const fields = async (body: Record<string, unknown>) =>
        ((await t.http.post('/api/lines/scan').send(body).expect(400)).body.errors as Array<{ field: string }>).map((e) => e.field);
      expect(await fields({ connection: tcpLine(), from: 0 })).toEqual(['from']);
      expect(await fields({ connection: tcpLine(), to: 248 })).toEqual(['to']);
      expect(await fields({ connection: tcpLine(), from: 10, to: 5 })).toEqual(['to']);
      expect(await fields({ connection: { ...tcpLine(), unitId: 1 } })).toEqual(['connection.unitId']);
      expect(await fields({ connection: { ...tcpLine(), transport: 'usb' } })).toEqual(['connection.transport']);
      expect(await fields({ connection: tcpLine(), probe: { function: 5, address: 0, count: 1 } })).toEqual(['probe.function']);
      expect(await fields({ connection: tcpLine(), probe: { function: 4, address: 0, count: 126 } })).toEqual(['probe.count']);
      await t.http.get('/api/lines/scan/not-a-uuid').expect(400);
    });

    it("keeps a client's operator off a line with another client's meters, and off another client's scans", async () => {
      const theirs = (
        await t.http
          .post('/api/devices')
          .send({ clientId: otherClientId, name: 'Theirs', deviceType: 'modbus', config: { ...tcpLine(), unitId: 1, driver: 'pzem004t' } })
          .expect(201)
      ).body.id;
      const operator = await t.userAgent('operator', clientId);
      const before = tcp.receiveLog.length;
      const refused = await operator.post('/api/lines/scan').send({ connection: tcpLine(), from: 1, to: 3 }).expect(403);
      expect(refused.body.message).toContain('another client');
      expect(tcp.receiveLog.length).toBe(before);
      // Staff's scan of that line is not the operator's to see or cancel.
      const staffJob = (await t.http.post('/api/lines/scan').send({ connection: tcpLine(), from: 1, to: 2, timeoutMs: 300 }).expect(201)).body.jobId;
      await operator.get(`/api/lines/scan/${staffJob}`).expect(404);
      await operator.post(`/api/lines/scan/${staffJob}/cancel`).expect(404);
      const viewer = await t.userAgent('viewer', clientId);
      await viewer.post('/api/lines/scan').send({ connection: tcpLine() }).expect(403);
      await finished(t, staffJob);
      await t.http.delete(`/api/devices/${theirs}`).expect(204);
    });

    it("holds a client's operator to the network allow-list, naming connection.host", async () => {
      const strict = await startTestApp();
      try {
        const cid = (await strict.http.post('/api/clients').send({ name: 'Strict' }).expect(201)).body.id;
        const operator = await strict.userAgent('operator', cid);
        const res = await operator.post('/api/lines/scan').send({ connection: tcpLine(), from: 1, to: 2 }).expect(400);
        expect(res.body.errors.map((e: { field: string }) => e.field)).toEqual(['connection.host']);
      } finally {
        await strict.close();
      }
    });
  });

  describe('layout detection', () => {
    const registers = [
      { metric: 'voltage', function: 4, address: 0x100 },
      { metric: 'frequency', function: 4, address: 0x102 },
      { metric: 'energy', function: 3, address: 0x20, type: 'int32' },
    ];
    const brief = (r: { candidates: Array<{ type: string; order: string; scale: number; value: number }> }) =>
      r.candidates.map((c) => `${c.type} ${c.order} x${c.scale} = ${c.value}`);

    it('ranks float32 CDAB first for voltage and frequency and int32 BADC for energy (ranking worked out by hand in the connectors spec)', async () => {
      const operator = await t.userAgent('operator', clientId);
      const res = await operator
        .post('/api/devices/detect-layout')
        .send({ connection: tcpLine(), unitId: 9, registers, expect: { energy: [100000, 200000] } })
        .expect(200);
      const [voltage, frequency, energy] = res.body.registers;
      expect(voltage.words).toEqual([0x8000, 0x4366, 0x0000, 0x4248]);
      expect(voltage.range).toEqual([80, 300]);
      expect(brief(voltage)).toEqual(['float32 CDAB x1 = 230.5', 'int16 BADC x1 = 128', 'uint16 BADC x1 = 128']);
      expect(brief(frequency)).toEqual(['float32 CDAB x1 = 50']);
      // The energy block has only 2 registers: the 4-register read gets exception 02 and is read again with 2.
      expect(energy.words).toEqual([0x0100, 0x40e2]);
      // Declared int32: int32 BADC x1, then int32 ABCD x0.01 (16793826 x 0.01), then uint32 BADC.
      expect(brief(energy)).toEqual(['int32 BADC x1 = 123456', 'int32 ABCD x0.01 = 167938.26', 'uint32 BADC x1 = 123456']);
    });

    it('answers 400 naming the field: no register, no slave id, a metric with no range, a bad range', async () => {
      const fields = async (body: Record<string, unknown>) =>
        ((await t.http.post('/api/devices/detect-layout').send(body).expect(400)).body.errors as Array<{ field: string }>).map((e) => e.field);
      expect(await fields({ connection: tcpLine(), unitId: 9, registers: [] })).toEqual(['registers']);
      expect(await fields({ connection: tcpLine(), registers })).toEqual(['unitId']);
      expect(await fields({ connection: { ...rtuLine() }, unitId: 9, registers })).toEqual(['slaveId']);
      expect(await fields({ connection: tcpLine(), unitId: 9, registers: [{ metric: 'tankLevel', function: 4, address: 0 }] })).toEqual([
        'registers[0].metric',
      ]);
      expect(await fields({ connection: tcpLine(), unitId: 9, registers, expect: { voltage: [300, 80] } })).toEqual(['expect.voltage']);
    });
  });

  describe('PZEM commands', () => {
    let a: number;
    let b: number;

    beforeAll(async () => {
      const make = async (name: string, slaveId: number) =>
        (
          await t.http
            .post('/api/devices')
            .send({ clientId, name, deviceType: 'modbus', config: { ...rtuLine(), slaveId, timeoutMs: 300 } })
            .expect(201)
        ).body.id as number;
      a = await make('PZEM A', 1);
      b = await make('PZEM B', 2);
    });

    it('refuses (409) an address a saved device holds or a meter answers at, and writes nothing', async () => {
      const operator = await t.userAgent('operator', clientId);
      const taken = await operator.post(`/api/devices/${a}/pzem/address`).send({ newAddress: 2 }).expect(409);
      expect(taken.body.message).toBe(`newAddress 2 is taken on this line by device ${b} ("PZEM B")`);
      const answering = await operator.post(`/api/devices/${a}/pzem/address`).send({ newAddress: 5 }).expect(409);
      expect(answering.body.message).toContain('a meter on this line answers at it');
      expect(rtu.receiveLog.filter((e) => e.functionCode === 6)).toEqual([]);
      expect((await t.http.get(`/api/devices/${a}`).expect(200)).body.config.slaveId).toBe(1);
    });

    it('moves a meter to a free address once it confirms, updates the device and audits who did it', async () => {
      const operator = await t.userAgent('operator', clientId);
      const res = await operator.post(`/api/devices/${a}/pzem/address`).send({ newAddress: 7 }).expect(200);
      expect(res.body).toEqual({ deviceId: a, from: 1, to: 7, confirmedBy: 'echo' });
      // The write went to the old address (FC 06, holding 0x0002 = 7) and the meter now answers at 7.
      const write = rtu.receiveLog.find((e) => e.functionCode === 6 && e.direction === 'request');
      expect(write?.hex.slice(0, 12)).toBe('010600020007');
      expect(rtu.meter(7).model).toBe('pzem004t');
      expect((await t.http.get(`/api/devices/${a}`).expect(200)).body.config.slaveId).toBe(7);
      expect((await t.http.post(`/api/devices/${a}/poll`).expect(200)).body.metrics.voltage).toBe(230.2);
      const auditPath = join(t.dataDir, 'audit.log');
      const events = readFileSync(auditPath, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l))
        .filter((l) => l.event === 'pzem-address-changed');
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({ deviceId: a, extra: { from: 1, to: 7 }, actor: expect.stringContaining('operator') });
      expect(await verifyAuditChain(auditPath)).toMatchObject({ ok: true });
    });

    it('follows a meter whose echo was garbled only after it answers at the new address', async () => {
      // The meter at 7 takes the write (it moves to 8) but its reply has a bad CRC.
      rtu.setFault(7, { kind: 'bad-crc' });
      try {
        const res = await t.http.post(`/api/devices/${a}/pzem/address`).send({ newAddress: 8 }).expect(200);
        expect(res.body).toEqual({ deviceId: a, from: 7, to: 8, confirmedBy: 'probe' });
      } finally {
        rtu.setFault(7, null);
      }
      expect(rtu.meter(8).model).toBe('pzem004t');
      expect((await t.http.get(`/api/devices/${a}`).expect(200)).body.config.slaveId).toBe(8);
      // A meter that stays silent (the write never reached it) is not followed: the device keeps its address.
      rtu.setFault(8, { kind: 'silent' });
      try {
        await t.http.post(`/api/devices/${a}/pzem/address`).send({ newAddress: 9 }).expect(504);
      } finally {
        rtu.setFault(8, null);
      }
      expect((await t.http.get(`/api/devices/${a}`).expect(200)).body.config.slaveId).toBe(8);
    });

    it('gives one of two simultaneous changes to the same address, and refuses the other (409)', async () => {
      const [ra, rb] = await Promise.all([
        t.http.post(`/api/devices/${a}/pzem/address`).send({ newAddress: 11 }),
        t.http.post(`/api/devices/${b}/pzem/address`).send({ newAddress: 11 }),
      ]);
      expect([ra.status, rb.status].sort()).toEqual([200, 409]);
      const loser = ra.status === 409 ? ra : rb;
      expect(loser.body.message).toMatch(/newAddress 11 is taken on this line by device/);
      const winner = ra.status === 200 ? a : b;
      expect((await t.http.get(`/api/devices/${winner}`).expect(200)).body.config.slaveId).toBe(11);
      // Put the winner back where the next tests expect it.
      await t.http
        .post(`/api/devices/${winner}/pzem/address`)
        .send({ newAddress: winner === a ? 8 : 2 })
        .expect(200);
    });

    it('refuses (409) to readdress a meter at the general address 0xF8 while other meters share its line', async () => {
      const general = (
        await t.http
          .post('/api/devices')
          .send({ clientId, name: 'PZEM new', deviceType: 'modbus', config: { ...rtuLine(), slaveId: 248, timeoutMs: 300 } })
          .expect(201)
      ).body.id;
      const writes = rtu.receiveLog.filter((e) => e.functionCode === 6).length;
      const res = await t.http.post(`/api/devices/${general}/pzem/address`).send({ newAddress: 20 }).expect(409);
      expect(res.body.message).toMatch(/general address 0xF8.*would readdress all \d+ of them/);
      expect(rtu.receiveLog.filter((e) => e.functionCode === 6).length).toBe(writes);
      await t.http.delete(`/api/devices/${general}`).expect(204);
    });

    it('writes a PZEM-004T alarm threshold in watts, and names the field of a wrong body', async () => {
      const res = await t.http.post(`/api/devices/${b}/pzem/alarm-threshold`).send({ watts: 1500 }).expect(200);
      expect(res.body).toEqual({ deviceId: b, watts: 1500 });
      expect((rtu.meter(2) as unknown as { alarmThresholdW: number }).alarmThresholdW).toBe(1500);
      const wrong = await t.http.post(`/api/devices/${b}/pzem/alarm-threshold`).send({ highVolts: 250, lowVolts: 10 }).expect(400);
      expect(wrong.body.errors.map((e: { field: string }) => e.field)).toEqual(['watts', 'highVolts', 'lowVolts']);
      expect((await t.http.post(`/api/devices/${b}/pzem/alarm-threshold`).send({ watts: 70000 }).expect(400)).body.errors[0].field).toBe('watts');
      expect((await t.http.post(`/api/devices/${b}/pzem/address`).send({ newAddress: 248 }).expect(400)).body.errors[0].field).toBe('newAddress');
      expect((await t.http.post(`/api/devices/${b}/pzem/address`).send({}).expect(400)).body.errors[0].field).toBe('newAddress');
      expect((await t.http.post(`/api/devices/${b}/pzem/address`).send({ newAddress: null }).expect(400)).body.errors[0].field).toBe('newAddress');
    });

    it("answers 404 to another client's user and 403 to a viewer, and writes nothing", async () => {
      const stranger = await t.userAgent('admin', otherClientId);
      const writes = rtu.receiveLog.filter((e) => e.functionCode === 6).length;
      await stranger.post(`/api/devices/${b}/pzem/address`).send({ newAddress: 9 }).expect(404);
      await stranger.post(`/api/devices/${b}/pzem/alarm-threshold`).send({ watts: 10 }).expect(404);
      const viewer = await t.userAgent('viewer', clientId);
      await viewer.post(`/api/devices/${b}/pzem/address`).send({ newAddress: 9 }).expect(403);
      expect(rtu.receiveLog.filter((e) => e.functionCode === 6).length).toBe(writes);
    });

    it('answers 422 for a meter that is no PZEM', async () => {
      const sdm = (
        await t.http
          .post('/api/devices')
          .send({ clientId, name: 'SDM', deviceType: 'modbus', config: { ...tcpLine(), unitId: 9, driver: 'sdm120' } })
          .expect(201)
      ).body.id;
      await t.http.post(`/api/devices/${sdm}/pzem/address`).send({ newAddress: 3 }).expect(422);
    });
  });
});
