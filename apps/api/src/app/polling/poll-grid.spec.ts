import { startSimulator, type RunningSimulator } from '@pieng/simulator';
import { startTestApp, TestApp } from '../../testing/test-app';
import { waitFor } from '../../testing/wait';

/** Every simulated reply waits this long, for a serial line's wire time (a PZEM read at 9600 baud: about 42 ms). */
const REPLY_DELAY_MS = 20;
/** Meters on the RTU gateway, all polled every second on one queue. */
const RTU_METERS = 5;
/** Slots measured. */
const SLOTS = 20;

const voltageTimes = async (t: TestApp, deviceId: number): Promise<number[]> =>
  ((await t.http.get('/api/metrics').query({ deviceId, metric: 'voltage', limit: 10000 }).expect(200)).body.items as Array<{ ts: string }>)
    .map((i) => Date.parse(i.ts))
    .sort((a, b) => a - b);

describe('the poll grid', () => {
  let sim: RunningSimulator;
  let t: TestApp;
  let clientId: number;

  beforeAll(async () => {
    sim = await startSimulator({
      tcpPort: 0,
      rtuTcpPort: 0,
      deterministic: true,
      replyDelayMs: REPLY_DELAY_MS,
      meters: Array.from({ length: RTU_METERS + 1 }, (_, i) => ({ model: 'pzem004t' as const, slaveId: i + 1 })),
    });
    t = await startTestApp({ ENABLE_POLLING: 'true' });
    clientId = (await t.http.post('/api/clients').send({ name: 'Grid plant' }).expect(201)).body.id;
  });
  afterAll(async () => {
    await t?.close();
    await sim?.close();
  });

  it('reads a 1 s TCP meter and five 1 s meters of one RTU gateway once in every slot, each soon after its whole second', async () => {
    const tcp = (
      await t.http
        .post('/api/devices')
        .send({
          clientId,
          name: 'TCP meter',
          deviceType: 'modbus',
          pollIntervalSec: 1,
          config: { transport: 'tcp', host: '127.0.0.1', port: sim.tcpPort, unitId: RTU_METERS + 1, driver: 'pzem004t', timeoutMs: 500 },
        })
        .expect(201)
    ).body.id as number;
    const rtu: number[] = [];
    for (let slaveId = 1; slaveId <= RTU_METERS; slaveId++) {
      rtu.push(
        (
          await t.http
            .post('/api/devices')
            .send({
              clientId,
              name: `Gateway meter ${slaveId}`,
              deviceType: 'modbus',
              pollIntervalSec: 1,
              config: { transport: 'rtu-tcp', host: '127.0.0.1', port: sim.rtuTcpPort, slaveId, driver: 'pzem004t', baudRate: 9600, timeoutMs: 500 },
            })
            .expect(201)
        ).body.id as number,
      );
    }
    await waitFor(
      'a first reading of every meter',
      async () => ((await Promise.all([tcp, ...rtu].map((id) => voltageTimes(t, id)))).every((ts) => ts.length > 0) ? true : undefined),
      5000,
    );

    // The window: SLOTS whole seconds starting at the second whole second from now.
    const from = Math.ceil(Date.now() / 1000) * 1000 + 1000;
    const to = from + SLOTS * 1000;
    const all = [tcp, ...rtu];
    await waitFor(
      'a reading of every meter after the window',
      async () => ((await Promise.all(all.map((id) => voltageTimes(t, id)))).every((ts) => ts.some((x) => x >= to)) ? true : undefined),
      (SLOTS + 8) * 1000,
      500,
    );

    const report: string[] = [];
    for (const id of all) {
      const times = (await voltageTimes(t, id)).filter((ts) => ts >= from && ts < to);
      const lateness = times.map((ts) => ts % 1000);
      const slots = new Set(times.map((ts) => Math.floor(ts / 1000)));
      report.push(
        `device ${id}: ${times.length} readings in ${SLOTS} s (rate ${((times.length / SLOTS) * 100).toFixed(1)} % of nominal), stored ${Math.min(...lateness)}-${Math.max(...lateness)} ms after their second`,
      );
      // The nominal rate, to the reading: one in each of the SLOTS seconds (a 1.25 s rhythm gave 16).
      expect(times).toHaveLength(SLOTS);
      expect(slots.size).toBe(SLOTS);
      // On the grid: the TCP meter read (and stored) soon after its second, the gateway's five one after
      // another on its queue (5 x 20 ms of simulated wire time). Quiet, the TCP meter is stored within
      // 60 ms; with other suites and builds on both cores, 168 ms was seen. A drifting rhythm spreads
      // over the whole second, so these bounds still tell a grid from a drift.
      expect(Math.max(...lateness)).toBeLessThanOrEqual(id === tcp ? 400 : 700);
    }
    console.log(`Poll grid, 1 s interval, busy machine:\n  ${report.join('\n  ')}`);
  }, 60_000);
});

describe('a Modbus TCP meter back from an outage', () => {
  it('is read within a couple of seconds of its link coming back, not at its next back-off step', async () => {
    const meters = [{ model: 'pzem004t' as const, slaveId: 1 }];
    let sim = await startSimulator({ tcpPort: 0, deterministic: true, meters });
    const port = sim.tcpPort as number;
    const t = await startTestApp({ ENABLE_POLLING: 'true' });
    try {
      const clientId = (await t.http.post('/api/clients').send({ name: 'Outage plant' }).expect(201)).body.id;
      const id = (
        await t.http
          .post('/api/devices')
          .send({
            clientId,
            name: 'Meter behind a switch',
            deviceType: 'modbus',
            pollIntervalSec: 1,
            config: { transport: 'tcp', host: '127.0.0.1', port, unitId: 1, driver: 'pzem004t', timeoutMs: 500 },
          })
          .expect(201)
      ).body.id as number;
      await waitFor('a first reading', async () => ((await voltageTimes(t, id)).length > 0 ? true : undefined), 5000);

      // The switch dies: three failed polls (at 0, +2 and +6 s: back-off 2 s, 4 s), the next one 8 s after the third.
      await sim.close();
      await waitFor(
        'three failed polls',
        async () => ((await t.http.get(`/api/devices/${id}`).expect(200)).body.consecutiveFailures >= 3 ? true : undefined),
        15_000,
        200,
      );
      const before = (await voltageTimes(t, id)).length;

      sim = await startSimulator({ tcpPort: port, deterministic: true, meters });
      const backAt = Date.now();
      const readAt = await waitFor(
        'a reading after the link came back',
        async () => {
          const times = await voltageTimes(t, id);
          return times.length > before ? times[times.length - 1] : undefined;
        },
        12_000,
        100,
      );
      const delay = readAt - backAt;
      console.log(`Meter read ${delay} ms after its link came back (its next back-off step was up to 8 s away)`);
      expect(delay).toBeLessThanOrEqual(2500);
      expect((await t.http.get(`/api/devices/${id}`).expect(200)).body).toMatchObject({ status: 'online', consecutiveFailures: 0 });
    } finally {
      await t.close();
      await sim.close();
    }
  }, 45_000);
});
