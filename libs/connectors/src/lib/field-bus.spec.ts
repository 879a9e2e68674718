import { startSimulator, type RunningSimulator } from '@pieng/simulator';
import { validateDeviceConfig } from './config/validate-device-config';
import { FieldBusError } from './errors';
import { FieldBus } from './field-bus';

function modbusDevice(id: string, config: Record<string, unknown>) {
  const result = validateDeviceConfig('modbus', config);
  if (!result.config) throw new Error(JSON.stringify(result.errors));
  return { id, deviceType: 'modbus' as const, config: result.config, clientId: 1 };
}

const TIMEOUT = 300;

describe('FieldBus over RTU-over-TCP (one shared line)', () => {
  let sim: RunningSimulator;
  let bus: FieldBus;
  let line: string;
  const pzem = () =>
    modbusDevice('pzem', { transport: 'rtu-tcp', host: '127.0.0.1', port: sim.rtuTcpPort, slaveId: 1, driver: 'pzem004t', timeoutMs: TIMEOUT });
  const sdm = () =>
    modbusDevice('sdm', { transport: 'rtu-tcp', host: '127.0.0.1', port: sim.rtuTcpPort, slaveId: 2, driver: 'sdm630', timeoutMs: TIMEOUT, baudRate: 9600 });

  beforeEach(async () => {
    sim = await startSimulator({
      rtuTcpPort: 0,
      deterministic: true,
      meters: [
        { model: 'pzem004t', slaveId: 1 },
        { model: 'sdm630', slaveId: 2 },
      ],
    });
    line = `127.0.0.1:${sim.rtuTcpPort}`;
    bus = new FieldBus({ reconnectBaseMs: 50 });
  });
  afterEach(async () => {
    await bus.close();
    await sim.close();
  });

  it('pools both slaves on one link', () => {
    expect(bus.lineKey(pzem())).toBe(`rtu-tcp:${line}`);
    expect(bus.lineKey(sdm())).toBe(bus.lineKey(pzem()));
  });

  it('never overlaps two slaves: request N+1 arrives after reply N plus t3.5', async () => {
    const reads = [];
    for (let i = 0; i < 8; i++) reads.push(bus.read(pzem()), bus.read(sdm()));
    const results = await Promise.all(reads);
    expect(results.every((r) => r.source === 'modbus-rtu')).toBe(true);
    const log = sim.receiveLog.filter((e) => e.link === 'rtu-tcp');
    // 8 PZEM reads (1 request each) + 8 SDM630 reads (2 requests each) = 24 transactions
    expect(log).toHaveLength(48);
    for (let i = 0; i < log.length; i += 2) {
      expect(log[i].direction).toBe('request');
      expect(log[i + 1].direction).toBe('reply');
      expect(log[i + 1].slaveId).toBe(log[i].slaveId);
      if (i > 0) {
        // t3.5 at 9600 8N1 = 3.65 ms of silence after every transaction (minus timer jitter)
        expect(log[i].at - log[i - 1].at).toBeGreaterThanOrEqual(3);
      }
    }
  });

  it('a silent slave does not stop its neighbour and delays it by at most one timeout', async () => {
    sim.setSilent(2, true);
    for (let round = 0; round < 2; round++) {
      const started = Date.now();
      const [dead, alive] = await Promise.allSettled([bus.read(sdm()), bus.read(pzem())]);
      const aliveMs = Date.now() - started;
      expect(dead.status).toBe('rejected');
      expect((dead as PromiseRejectedResult).reason).toBeInstanceOf(FieldBusError);
      expect((dead as PromiseRejectedResult).reason.message).toBe(`meter 2 on ${line} did not answer within ${TIMEOUT} ms`);
      expect(alive.status).toBe('fulfilled');
      expect(aliveMs).toBeLessThan(TIMEOUT + 150);
    }
    // The SDM630 needs two requests; after the first timed out the second was never sent.
    const sdmRequests = sim.receiveLog.filter((e) => e.slaveId === 2 && e.direction === 'request');
    expect(sdmRequests).toHaveLength(2);
  });

  it('reassembles replies that the gateway sends in several TCP segments', async () => {
    const whole = { sdm: (await bus.read(sdm())).metrics, pzem: (await bus.read(pzem())).metrics };
    // SDM630: a 157-byte reply (3 + 2 x 76 registers + CRC) and a 9-byte one, in 16-byte pieces 5 ms apart.
    sim.setLineChunking({ bytes: 16, gapMs: 5 });
    expect((await bus.read(sdm())).metrics).toEqual(whole.sdm);
    expect((await bus.read(pzem())).metrics).toEqual(whole.pzem);
    const replies = sim.receiveLog
      .filter((e) => e.direction === 'reply')
      .slice(-3)
      .map((e) => e.hex.length / 2);
    expect(replies).toEqual([157, 9, 25]);
    // The PZEM's 4-byte reset echo one byte at a time.
    sim.setLineChunking({ bytes: 1, gapMs: 5 });
    await bus.pzem.resetEnergy(pzem());
    expect((await bus.read(pzem())).metrics['energy']).toBe(0);
  });

  it('reports exceptions and corrupt CRCs in user words', async () => {
    sim.setFault(1, { kind: 'exception', code: 2 });
    await expect(bus.read(pzem())).rejects.toThrow(`Modbus exception 02 (illegal data address) from meter 1 on ${line}`);
    sim.setFault(1, { kind: 'bad-crc' });
    await expect(bus.read(pzem())).rejects.toThrow(`meter 1 on ${line} sent a corrupt reply (CRC error)`);
    sim.setFault(1, null);
    expect((await bus.read(pzem())).metrics['voltage']).toBe(230.2);
  });

  it('resets PZEM energy with a raw 4-byte 0x42 frame on the gateway socket', async () => {
    sim.setValues(1, { energy: 123456 });
    expect((await bus.read(pzem())).metrics['energy']).toBe(123456);
    await bus.pzem.resetEnergy(pzem());
    // 01 42 + CRC 80 11 (low byte first)
    expect(sim.receiveLog.filter((e) => e.functionCode === 0x42).map((e) => e.hex)).toEqual(['01428011', '01428011']);
    expect((await bus.read(pzem())).metrics['energy']).toBe(0);
    // the link still works for normal requests afterwards
    expect((await bus.read(sdm())).metrics['power']).toBe(1620);
    await expect(bus.pzem.resetEnergy(sdm())).rejects.toThrow('cannot reset energy on a sdm630 meter: only pzem004t and pzem017 meters support it');
  });

  it('reads and writes the PZEM alarm threshold and address', async () => {
    expect(await bus.pzem.readAlarmThreshold(pzem())).toBe(2300);
    await bus.pzem.writeAlarmThreshold(pzem(), 1500);
    expect(await bus.pzem.readAlarmThreshold(pzem())).toBe(1500);
    await expect(bus.pzem.writeAlarmThreshold(pzem(), 70000)).rejects.toThrow('from 0 to 65535');
    await bus.pzem.writeSlaveAddress(pzem(), 7);
    const moved = modbusDevice('pzem', { transport: 'rtu-tcp', host: '127.0.0.1', port: sim.rtuTcpPort, slaveId: 7, driver: 'pzem004t', timeoutMs: TIMEOUT });
    expect((await bus.read(moved)).metrics['voltage']).toBe(230.2);
    await expect(bus.read(pzem())).rejects.toThrow(`meter 1 on ${line} did not answer within ${TIMEOUT} ms`);
  });

  it('refuses conflicting serial settings from another meter on the same line', async () => {
    await bus.read(pzem());
    const other = modbusDevice('other', { transport: 'rtu-tcp', host: '127.0.0.1', port: sim.rtuTcpPort, slaveId: 2, driver: 'sdm630', baudRate: 2400 });
    await expect(bus.read(other)).rejects.toThrow(`${line} is already in use at 9600 8N1 by other meters; device other asks for 2400 8N1`);
  });
});

describe('FieldBus over Modbus TCP: lost connection', () => {
  it('resumes reading after the server is killed and restored, without a new FieldBus', async () => {
    let sim = await startSimulator({ tcpPort: 0, deterministic: true, meters: [{ model: 'pzem004t', slaveId: 1 }] });
    const port = sim.tcpPort as number;
    const bus = new FieldBus({ reconnectBaseMs: 50, reconnectMaxMs: 200 });
    const device = modbusDevice('m1', { transport: 'tcp', host: '127.0.0.1', port, unitId: 1, driver: 'pzem004t', timeoutMs: TIMEOUT });
    try {
      expect((await bus.read(device)).metrics['voltage']).toBe(230.2);
      await sim.close();
      await expect(bus.read(device)).rejects.toThrow(`127.0.0.1:${port}`);
      await expect(bus.read(device)).rejects.toThrow(FieldBusError);
      sim = await startSimulator({ tcpPort: port, deterministic: true, meters: [{ model: 'pzem004t', slaveId: 1, values: { voltage: 231.5 } }] });
      let reading: number | undefined;
      for (let attempt = 0; attempt < 40 && reading === undefined; attempt++) {
        try {
          reading = (await bus.read(device)).metrics['voltage'];
        } catch {
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      }
      expect(reading).toBe(231.5);
    } finally {
      await bus.close();
      await sim.close();
    }
  });

  it('fails fast with a clear message when nothing listens', async () => {
    const sim = await startSimulator({ tcpPort: 0, meters: [{ model: 'pzem004t' }] });
    const port = sim.tcpPort as number;
    await sim.close();
    const bus = new FieldBus({ reconnectBaseMs: 10_000 });
    const device = modbusDevice('m1', { transport: 'tcp', host: '127.0.0.1', port, driver: 'pzem004t' });
    await expect(bus.read(device)).rejects.toThrow(`cannot open 127.0.0.1:${port}: connection refused`);
    // within the backoff window no new connection is attempted
    await expect(bus.read(device)).rejects.toThrow(/127\.0\.0\.1:\d+ is not reachable: connection refused; the line is not reopened for another \d+(\.\d)? s/);
    await bus.close();
  });

  it('probes a link that cannot be opened and says when it answers again, with its reopen back-off forgotten', async () => {
    let sim = await startSimulator({ tcpPort: 0, deterministic: true, meters: [{ model: 'pzem004t', slaveId: 1 }] });
    const port = sim.tcpPort as number;
    await sim.close();
    // A reopen back-off of 30 s: without the probe, the link would refuse requests for that long.
    const bus = new FieldBus({ reconnectBaseMs: 30_000, linkProbeIntervalMs: 100 });
    const device = modbusDevice('m1', { transport: 'tcp', host: '127.0.0.1', port, unitId: 1, driver: 'pzem004t', timeoutMs: TIMEOUT });
    const told: string[] = [];
    bus.onLinkReachable((key) => told.push(key));
    try {
      await expect(bus.read(device)).rejects.toThrow('connection refused');
      await new Promise((resolve) => setTimeout(resolve, 350));
      expect(told).toEqual([]);
      sim = await startSimulator({ tcpPort: port, deterministic: true, meters: [{ model: 'pzem004t', slaveId: 1 }] });
      const backAt = Date.now();
      for (let i = 0; i < 50 && told.length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(told).toEqual([`tcp:127.0.0.1:${port}`]);
      expect(Date.now() - backAt).toBeLessThan(800);
      expect((await bus.read(device)).metrics['voltage']).toBe(230.2);
    } finally {
      await bus.close();
      await sim.close();
    }
  });

  it('stops probing a link that no device uses any more', async () => {
    let sim = await startSimulator({ tcpPort: 0, deterministic: true, meters: [{ model: 'pzem004t', slaveId: 1 }] });
    const port = sim.tcpPort as number;
    await sim.close();
    const bus = new FieldBus({ reconnectBaseMs: 30_000, linkProbeIntervalMs: 50 });
    const told: string[] = [];
    bus.onLinkReachable((key) => told.push(key));
    try {
      await expect(
        bus.read(modbusDevice('gone', { transport: 'tcp', host: '127.0.0.1', port, unitId: 1, driver: 'pzem004t', timeoutMs: TIMEOUT })),
      ).rejects.toThrow('connection refused');
      bus.forget('gone');
      sim = await startSimulator({ tcpPort: port, deterministic: true, meters: [{ model: 'pzem004t', slaveId: 1 }] });
      // Eight probe periods: a probe still running would have connected and told.
      await new Promise((resolve) => setTimeout(resolve, 400));
      expect(told).toEqual([]);
    } finally {
      await bus.close();
      await sim.close();
    }
  });

  it('answers PZEM reset (0x42) through modbus-serial on Modbus TCP too', async () => {
    const sim = await startSimulator({ tcpPort: 0, deterministic: true, meters: [{ model: 'pzem004t', slaveId: 1 }] });
    const bus = new FieldBus();
    const device = modbusDevice('m1', { transport: 'tcp', host: '127.0.0.1', port: sim.tcpPort, driver: 'pzem004t' });
    try {
      expect((await bus.read(device)).metrics['energy']).toBe(12345);
      await bus.pzem.resetEnergy(device);
      expect((await bus.read(device)).metrics['energy']).toBe(0);
    } finally {
      await bus.close();
      await sim.close();
    }
  });

  it('tags simulated devices', async () => {
    const sim = await startSimulator({ tcpPort: 0, deterministic: true, meters: [{ model: 'sdm120', slaveId: 1 }] });
    const bus = new FieldBus();
    try {
      const result = await bus.read(modbusDevice('s', { transport: 'tcp', host: '127.0.0.1', port: sim.tcpPort, driver: 'sdm120', simulated: true }));
      expect(result.source).toBe('simulator');
      expect(result.durationMs).toBeGreaterThan(0);
    } finally {
      await bus.close();
      await sim.close();
    }
  });
});
