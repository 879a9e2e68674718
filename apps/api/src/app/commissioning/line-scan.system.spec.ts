import { startPtyCable, startSimulator, type PtyCable, type RunningSimulator } from '@pieng/simulator';
import { startTestApp, TestApp } from '../../testing/test-app';
import { waitFor } from '../../testing/wait';

/*
 * The line scan on a serial line: a socat pty pair, the simulator on one end taking the wire time of
 * 9600 8N1 (--baud), the API's FieldBus on the other. Ids 1, 2 and 3 present, 3 answering exception 02;
 * 4 and 5 silent (each costs its 200 ms timeout).
 */
describe('line scan over a pty (socat)', () => {
  let cable: PtyCable;
  let sim: RunningSimulator;
  let t: TestApp;

  beforeAll(async () => {
    cable = await startPtyCable();
    sim = await startSimulator({
      serialPath: cable.a,
      deterministic: true,
      line: { baudRate: 9600 },
      meters: [
        { model: 'pzem004t', slaveId: 1 },
        { model: 'pzem004t', slaveId: 2 },
        { model: 'pzem004t', slaveId: 3 },
      ],
    });
    sim.setFault(3, { kind: 'exception', code: 2 });
    t = await startTestApp();
  });
  afterAll(async () => {
    await t?.close();
    await sim?.close();
    await cable?.close();
  });

  it('finds 1, 2 and 3 (3 by its exception), each probe taking at least its wire time', async () => {
    const line = { transport: 'rtu', port: cable.b, baudRate: 9600, driver: 'pzem004t' };
    const started = await t.http.post('/api/lines/scan').send({ connection: line, from: 1, to: 5, timeoutMs: 200 }).expect(201);
    // Per id: 8 request bytes + t3.5 = 11.5 characters x 1.0417 ms = 11.98 ms on top of the timeout: 5 x 211.98 = 1060 ms.
    expect(started.body.estimate).toBe('5 ids × 200 ms timeout plus 12.0 ms on the wire at 9600 8N1: at most 2 s when none answers');
    const job = await waitFor('the scan to finish', async () => {
      const res = await t.http.get(`/api/lines/scan/${started.body.jobId}`).expect(200);
      return res.body.status !== 'running' ? res.body : undefined;
    });
    expect(job.status).toBe('done');
    expect(job.found.map((f: { id: number; answered: string; exceptionCode?: number }) => [f.id, f.answered, f.exceptionCode])).toEqual([
      [1, 'registers', undefined],
      [2, 'registers', undefined],
      [3, 'exception', 2],
    ]);
    // A 1-register read: request 8 bytes, reply 7 (3 + 2 + 2): (8 + 3.5 + 7) x 1.0417 = 19.27 ms at the least.
    // An exception reply is 5 bytes: (8 + 3.5 + 5) x 1.0417 = 17.19 ms.
    expect(job.found[0].ms).toBeGreaterThanOrEqual(19.27);
    expect(job.found[2].ms).toBeGreaterThanOrEqual(17.19);
  });

  it('lets a poll of a meter on the line through while a scan runs', async () => {
    const line = { transport: 'rtu', port: cable.b, baudRate: 9600, driver: 'pzem004t' };
    const clientId = (await t.http.post('/api/clients').send({ name: 'Pty client' }).expect(201)).body.id;
    const device = (
      await t.http
        .post('/api/devices')
        .send({ clientId, name: 'PZEM 1', deviceType: 'modbus', config: { ...line, slaveId: 1, timeoutMs: 300 } })
        .expect(201)
    ).body.id;
    const started = await t.http.post('/api/lines/scan').send({ connection: line, from: 10, to: 60, timeoutMs: 100 }).expect(201);
    await waitFor('a few probes', async () => (await t.http.get(`/api/lines/scan/${started.body.jobId}`)).body.scanned >= 2);
    const poll = await t.http.post(`/api/devices/${device}/poll`).expect(200);
    expect(poll.body.metrics).toMatchObject({ voltage: 230.2, current: 1, energy: 12345 });
    const cancelled = await t.http.post(`/api/lines/scan/${started.body.jobId}/cancel`).expect(200);
    expect(cancelled.body.status).toBe('cancelled');
  });
});
