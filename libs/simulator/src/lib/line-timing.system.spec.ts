import { performance } from 'node:perf_hooks';
import { SerialPort } from 'serialport';
import { rtuFrame } from './crc';
import { startPtyCable, type PtyCable } from './pty-cable';
import { lineReplyTimeMs, startSimulator, type RunningSimulator } from './simulator';

/*
 * --baud on a pty: a PZEM-004T read of 10 input registers at 9600 8N1 (PROTOCOLS.md):
 * one character = 10 bits / 9600 = 1.0417 ms; request 8 bytes = 8.33 ms, t3.5 = 3.65 ms,
 * reply 25 bytes (3 + 20 + 2) = 26.04 ms: the reply's last byte can arrive 38.02 ms after the
 * request's first at the earliest (the second t3.5, 3.65 ms, is the master's to keep: 41.7 ms in all).
 * At 8N2 (PZEM-017, 11 bits): 1.1458 ms a character; 8 input registers, reply 21 bytes:
 * (8 + 21 + 3.5) x 1.1458 = 37.24 ms.
 */
describe('simulator --baud on a pty', () => {
  let cable: PtyCable;
  let sim: RunningSimulator;
  let port: SerialPort;

  beforeAll(async () => {
    cable = await startPtyCable();
    sim = await startSimulator({ serialPath: cable.a, deterministic: true, line: { baudRate: 9600 }, meters: [{ model: 'pzem004t', slaveId: 1 }] });
    port = new SerialPort({ path: cable.b, baudRate: 9600, autoOpen: false });
    await new Promise<void>((resolve, reject) => port.open((e) => (e ? reject(e) : resolve())));
  });
  afterAll(async () => {
    if (port?.isOpen) await new Promise<void>((r) => port.close(() => r()));
    await sim?.close();
    await cable?.close();
  });

  /** Writes one request and resolves with the whole reply and the time it took. */
  const transact = (request: Buffer, replyBytes: number) =>
    new Promise<{ reply: Buffer; ms: number }>((resolve, reject) => {
      let got = Buffer.alloc(0);
      const timer = setTimeout(() => reject(new Error(`no reply of ${replyBytes} bytes (got ${got.length})`)), 2000);
      const onData = (chunk: Buffer) => {
        got = Buffer.concat([got, chunk]);
        if (got.length >= replyBytes) {
          clearTimeout(timer);
          port.off('data', onData);
          resolve({ reply: got, ms: performance.now() - started });
        }
      };
      port.on('data', onData);
      const started = performance.now();
      port.write(request);
    });

  it('computes the wire time as the protocol tables do', () => {
    expect(lineReplyTimeMs({ baudRate: 9600 }, 8, 25)).toBeCloseTo((8 + 25 + 3.5) * (10 / 9.6), 9);
    expect(lineReplyTimeMs({ baudRate: 9600 }, 8, 25)).toBeCloseTo(38.02, 2);
    expect(lineReplyTimeMs({ baudRate: 9600, stopBits: 2 }, 8, 21)).toBeCloseTo(37.24, 2);
    // Above 19200 baud t3.5 is a fixed 1.75 ms: 115200 8N1, (8 + 25) x 0.0868 + 1.75 = 4.61 ms.
    expect(lineReplyTimeMs({ baudRate: 115200 }, 8, 25)).toBeCloseTo(33 * (10 / 115.2) + 1.75, 9);
  });

  it('answers a 10-register read no sooner than request + t3.5 + reply take at 9600 8N1 (38.02 ms)', async () => {
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      const { reply, ms } = await transact(rtuFrame(1, Buffer.from([0x04, 0x00, 0x00, 0x00, 0x0a])), 25);
      expect(reply.length).toBe(25);
      expect(reply.readUInt16BE(3)).toBe(2302); // 230.2 V: the read itself is right
      times.push(ms);
    }
    for (const ms of times) expect(ms).toBeGreaterThanOrEqual(38.02);
    // And not much later either: the timer's lateness only (a loaded 2-core machine: 25 ms of slack).
    expect(Math.min(...times)).toBeLessThan(38.02 + 25);
  });
});
