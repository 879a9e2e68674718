import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSimulator, type RunningSimulator } from '@pieng/simulator';
import { validateDeviceConfig } from './config/validate-device-config';
import { FieldBus } from './field-bus';

/**
 * Serial RTU end to end: a socat pty pair is the cable, the simulator sits on one end and
 * FieldBus (modbus-serial connectRTU) on the other. Killing socat is pulling the USB plug.
 */

function requireSocat(): string {
  const found = spawnSync('sh', ['-c', 'command -v socat'], { encoding: 'utf8' });
  const path = found.stdout.trim();
  if (found.status !== 0 || !path) throw new Error('socat not found: apt-get install socat');
  return path;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function startCable(socat: string, a: string, b: string): Promise<ChildProcess> {
  const child = spawn(socat, ['-d', '-d', `pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`], { stdio: 'ignore' });
  for (let i = 0; i < 100; i++) {
    if (existsSync(a) && existsSync(b)) return child;
    await sleep(20);
  }
  child.kill('SIGKILL');
  throw new Error('socat did not create the pty links');
}

async function stopCable(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

describe('FieldBus over a serial line (socat pty pair)', () => {
  let socat: string;
  let dir: string;
  let cable: ChildProcess;
  let sim: RunningSimulator;
  let bus: FieldBus;
  let device: ReturnType<typeof pzemOn>;

  function pzemOn(port: string) {
    const result = validateDeviceConfig('modbus', { transport: 'rtu', port, baudRate: 9600, slaveId: 1, driver: 'pzem004t', timeoutMs: 500 });
    if (!result.config) throw new Error(JSON.stringify(result.errors));
    return { id: 'pzem-serial', deviceType: 'modbus' as const, config: result.config, clientId: 1 };
  }

  beforeAll(async () => {
    socat = requireSocat();
    dir = mkdtempSync(join(tmpdir(), 'pieng-pty-'));
    cable = await startCable(socat, join(dir, 'A'), join(dir, 'B'));
    sim = await startSimulator({
      serialPath: join(dir, 'A'),
      meters: [
        { model: 'pzem004t', slaveId: 1, values: { voltage: 229.8, current: 0.5, power: 103.4, energy: 70000, frequency: 50.1, powerFactor: 0.9, alarm: 0 } },
      ],
    });
    bus = new FieldBus({ reconnectBaseMs: 100, reconnectMaxMs: 400 });
    device = pzemOn(join(dir, 'B'));
  });

  afterAll(async () => {
    await bus?.close();
    await sim?.close();
    if (cable) await stopCable(cable);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('reads a PZEM-004T over RTU and resets its energy with function 0x42', async () => {
    const reading = await bus.read(device);
    // 2298/10 V; 500 mA; 1034 x 0.1 W; 70000 Wh = 0x0001_1170 (words 1170 0001); 501/10 Hz; 90/100
    expect(reading.metrics).toEqual({ voltage: 229.8, current: 0.5, power: 103.4, energy: 70000, frequency: 50.1, powerFactor: 0.9, alarm: 0 });
    expect(reading.source).toBe('modbus-rtu');
    expect(bus.lineKey(device)).toBe(`rtu:${join(dir, 'B')}`);
    await bus.pzem.resetEnergy(device);
    expect(sim.receiveLog.filter((e) => e.functionCode === 0x42).map((e) => e.hex)).toEqual(['01428011', '01428011']);
    expect((await bus.read(device)).metrics['energy']).toBe(0);
  });

  it('reassembles a reply that arrives in pieces, as a USB adapter delivers it, and still rejects a corrupt one', async () => {
    // 25-byte PZEM reply in 6-byte pieces 15 ms apart: the read must wait for the whole frame
    // (3 + 2 x 10 registers + CRC) instead of checking the CRC of the first piece.
    sim.setLineChunking({ bytes: 6, gapMs: 15 });
    try {
      sim.setValues(1, { voltage: 228.4, energy: 70000 });
      const reading = await bus.read(device);
      expect(reading.metrics).toMatchObject({ voltage: 228.4, current: 0.5, power: 103.4, energy: 70000, frequency: 50.1, powerFactor: 0.9 });
      // The 4-byte reset echo in pieces too (1 + 3 bytes).
      sim.setLineChunking({ bytes: 1, gapMs: 15 });
      await bus.pzem.resetEnergy(device);
      expect((await bus.read(device)).metrics['energy']).toBe(0);
      sim.setFault(1, { kind: 'bad-crc' });
      await expect(bus.read(device)).rejects.toThrow('sent a corrupt reply (CRC error)');
    } finally {
      sim.setFault(1, null);
      sim.setLineChunking(null);
    }
    // The line is usable right after.
    expect((await bus.read(device)).metrics['voltage']).toBe(228.4);
  }, 20_000);

  it('survives an unplug: socat killed and restarted with the same links, reading resumes', async () => {
    await stopCable(cable);
    await expect(bus.read(device)).rejects.toThrow(join(dir, 'B'));
    cable = await startCable(socat, join(dir, 'A'), join(dir, 'B'));
    sim.setValues(1, { voltage: 231.1 });
    // Both ends reopen on their own: the simulator every 200 ms, FieldBus with a 100-400 ms backoff.
    // Quiet, the first read after the replug times out (500 ms) and the second answers; a loaded
    // CI machine gets 15 s before the attempts (each with its time and error) are reported.
    const started = Date.now();
    const attempts: string[] = [];
    let voltage: number | undefined;
    while (voltage === undefined && Date.now() - started < 15_000) {
      const at = Date.now();
      try {
        voltage = (await bus.read(device)).metrics['voltage'];
      } catch (error) {
        attempts.push(`+${at - started} ms (${Date.now() - at} ms): ${(error as Error).message}`);
        await sleep(100);
      }
    }
    expect({ voltage, attempts: voltage === undefined ? attempts : [] }).toEqual({ voltage: 231.1, attempts: [] });
  }, 25_000);
});
