import { createServer, type Server, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { SerialPort } from 'serialport';
import { crcIsValid, rtuFrame } from './crc';
import { createMeter, defaultFixedValues, type MeterModel, type MeterValues, type SimulatedMeter } from './meters';
import { executePdu, exceptionPdu, rtuRequestLength, type SlaveFault, type SlaveReply } from './slave';

export interface SimulatorMeterSpec {
  model: MeterModel;
  /** Modbus address (default 1). */
  slaveId?: number;
  /** Fixed values (canonical units, energy in Wh); the meter then stays deterministic. */
  values?: MeterValues;
  /**
   * Raw register words served as given, ahead of the model's own table: a read that lies wholly
   * inside one block answers its words (e.g. a float32 in CDAB, to test layout detection).
   */
  registers?: RegisterBlock[];
}

export interface RegisterBlock {
  function: 3 | 4;
  address: number;
  words: number[];
}

/**
 * The character framing of the simulated RS485 line (for --baud): with it, every RTU reply leaves
 * only once the request, the silence that ends it (t3.5) and the reply itself would have taken on
 * the wire. The silence after the reply is the master's to keep. Encoded here from the Modbus
 * RTU rules on its own, not taken from the connectors (see DESIGN.md).
 */
export interface SimulatedLine {
  baudRate: number;
  dataBits?: 7 | 8;
  parity?: 'none' | 'even' | 'odd';
  stopBits?: 1 | 2;
}

/** Bits per character: start + data + parity (if any) + stop. 8N1 = 10, 8N2 = 11. */
export function lineBitsPerCharacter(line: SimulatedLine): number {
  return 1 + (line.dataBits ?? 8) + ((line.parity ?? 'none') === 'none' ? 0 : 1) + (line.stopBits ?? 1);
}

/** Milliseconds from the request's first byte to the reply's last: request + t3.5 + reply on the wire. */
export function lineReplyTimeMs(line: SimulatedLine, requestBytes: number, replyBytes: number): number {
  const charMs = (lineBitsPerCharacter(line) * 1000) / line.baudRate;
  // t3.5 is 3.5 characters up to 19200 baud, a fixed 1.75 ms above (Modbus over serial line, 2.5.1.1).
  const silenceMs = line.baudRate > 19200 ? 1.75 : 3.5 * charMs;
  return (requestBytes + replyBytes) * charMs + silenceMs;
}

export interface SimulatorOptions {
  meters: SimulatorMeterSpec[];
  /** Interface to listen on (default 127.0.0.1). */
  host?: string;
  /** Modbus TCP (MBAP) port; 0 picks a free one. */
  tcpPort?: number;
  /** Raw RTU frames over TCP (transparent gateway); 0 picks a free one. */
  rtuTcpPort?: number;
  /** A serial device, e.g. one end of a socat pty pair. Reopened automatically if it vanishes. */
  serialPath?: string;
  /** Every meter starts with fixed plausible values instead of drifting ones. */
  deterministic?: boolean;
  /** Clock for the live waveforms and energy integration (default Date.now). */
  clock?: () => number;
  /** The meter's processing time before each reply (default 0). */
  replyDelayMs?: number;
  /** RTU links (serial, RTU over TCP) take their wire time at these serial settings (default: instant). */
  line?: SimulatedLine;
  /** PZEM calibration (0x41) echo delay (default 3500 ms, as the datasheet's 3-4 s). */
  calibrationDelayMs?: number;
  /** Address a PZEM puts in replies to the general address 0xF8 (UNVERIFIED on hardware). */
  generalAddressReply?: 'general' | 'own';
  log?: (line: string) => void;
}

export type SimulatorLink = 'tcp' | 'rtu-tcp' | 'serial';

/**
 * How RTU replies reach the master: in pieces of `bytes` with `gapMs` between them, as a USB-RS485
 * adapter hands over what it has every latency tick (an FTDI's default is 16 ms) and as a TCP
 * gateway may send a long reply in several segments. `gapMs` stays under the 3.5-character silence
 * a slave keeps between frames only on a real line; here it only has to make the pieces arrive apart.
 */
export interface LineChunking {
  bytes: number;
  gapMs: number;
}

export interface SimulatorLogEntry {
  /** performance.now() milliseconds. */
  at: number;
  link: SimulatorLink;
  direction: 'request' | 'reply';
  slaveId: number;
  functionCode: number;
  hex: string;
}

export interface RunningSimulator {
  host: string;
  tcpPort?: number;
  rtuTcpPort?: number;
  serialPath?: string;
  /** Every request received and reply sent, in order. */
  readonly receiveLog: SimulatorLogEntry[];
  meter(slaveId: number): SimulatedMeter;
  setValues(slaveId: number, values: MeterValues): void;
  getValues(slaveId: number): MeterValues;
  setSilent(slaveId: number, silent: boolean): void;
  setFault(slaveId: number, fault: SlaveFault | null): void;
  /** RTU replies (serial and gateway links) in pieces from now on; null sends each reply in one write. */
  setLineChunking(chunking: LineChunking | null): void;
  close(): Promise<void>;
}

const GENERAL_ADDRESS = 0xf8;
const BROADCAST = 0;
/** A partial RTU frame older than this is line noise: a real slave resets on silence. */
const PARTIAL_FRAME_TIMEOUT_MS = 100;

/** Cuts a byte stream into RTU request frames. */
class RtuRequestReader {
  private buffer = Buffer.alloc(0);
  private timer?: NodeJS.Timeout;

  constructor(private readonly onFrame: (frame: Buffer) => void) {}

  push(chunk: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    clearTimeout(this.timer);
    for (;;) {
      const length = rtuRequestLength(this.buffer);
      if (length === undefined) break;
      const frameLength = length === null ? this.buffer.length : length;
      if (this.buffer.length < frameLength) break;
      const frame = this.buffer.subarray(0, frameLength);
      this.buffer = this.buffer.subarray(frameLength);
      if (crcIsValid(frame)) this.onFrame(Buffer.from(frame));
      else this.buffer = Buffer.alloc(0); // a corrupt frame: drop everything until silence
      if (this.buffer.length === 0) break;
    }
    if (this.buffer.length > 0) {
      this.timer = setTimeout(() => {
        this.buffer = Buffer.alloc(0);
      }, PARTIAL_FRAME_TIMEOUT_MS);
    }
  }

  dispose(): void {
    clearTimeout(this.timer);
  }
}

class Simulator implements RunningSimulator {
  host: string;
  tcpPort?: number;
  rtuTcpPort?: number;
  serialPath?: string;
  readonly receiveLog: SimulatorLogEntry[] = [];
  private readonly meters: SimulatedMeter[];
  /** Each meter's spec (its raw registers), found by the meter even after its address changed. */
  private readonly specs = new Map<SimulatedMeter, SimulatorMeterSpec>();
  private readonly faults = new Map<number, SlaveFault>();
  private readonly servers: Server[] = [];
  private readonly sockets = new Set<Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private serial?: SerialPort;
  private serialReader?: RtuRequestReader;
  private chunking: LineChunking | null = null;
  private closed = false;

  constructor(private readonly options: SimulatorOptions) {
    const clock = options.clock ?? Date.now;
    this.host = options.host ?? '127.0.0.1';
    this.meters = options.meters.map((spec) => {
      const meter = createMeter(spec.model, spec.slaveId ?? 1, clock);
      if (options.deterministic) meter.setValues(defaultFixedValues(spec.model));
      if (spec.values) meter.setValues(spec.values);
      this.specs.set(meter, spec);
      return meter;
    });
    const ids = this.meters.map((meter) => meter.slaveId);
    if (new Set(ids).size !== ids.length) throw new Error(`two meters share a slave id: ${ids.join(', ')}`);
  }

  async start(): Promise<void> {
    if (this.options.tcpPort !== undefined) {
      const server = createServer((socket) => this.serveModbusTcp(socket));
      this.tcpPort = await this.listen(server, this.options.tcpPort);
    }
    if (this.options.rtuTcpPort !== undefined) {
      const server = createServer((socket) => this.serveRtuTcp(socket));
      this.rtuTcpPort = await this.listen(server, this.options.rtuTcpPort);
    }
    if (this.options.serialPath) {
      this.serialPath = this.options.serialPath;
      await this.openSerial(true);
    }
  }

  meter(slaveId: number): SimulatedMeter {
    const meter = this.meters.find((m) => m.slaveId === slaveId);
    if (!meter) throw new Error(`no simulated meter at slave id ${slaveId}`);
    return meter;
  }

  setValues(slaveId: number, values: MeterValues): void {
    this.meter(slaveId).setValues(values);
  }

  getValues(slaveId: number): MeterValues {
    return this.meter(slaveId).values();
  }

  setSilent(slaveId: number, silent: boolean): void {
    this.setFault(slaveId, silent ? { kind: 'silent' } : null);
  }

  setFault(slaveId: number, fault: SlaveFault | null): void {
    if (fault) this.faults.set(slaveId, fault);
    else this.faults.delete(slaveId);
  }

  setLineChunking(chunking: LineChunking | null): void {
    if (chunking && (!Number.isInteger(chunking.bytes) || chunking.bytes < 1 || !(chunking.gapMs >= 0))) {
      throw new Error(`line chunking needs a whole number of bytes >= 1 and a gap >= 0 ms: ${JSON.stringify(chunking)}`);
    }
    this.chunking = chunking;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.timers.forEach((timer) => clearTimeout(timer));
    this.timers.clear();
    this.sockets.forEach((socket) => socket.destroy());
    this.serialReader?.dispose();
    await Promise.all(this.servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
    const serial = this.serial;
    this.serial = undefined;
    if (serial?.isOpen) await new Promise<void>((resolve) => serial.close(() => resolve()));
  }

  private listen(server: Server, port: number): Promise<number> {
    this.servers.push(server);
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, this.host, () => {
        const address = server.address();
        resolve(typeof address === 'object' && address ? address.port : port);
      });
    });
  }

  private track(socket: Socket): void {
    this.sockets.add(socket);
    socket.setNoDelay(true);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => socket.destroy());
  }

  private later(ms: number, action: () => void): void {
    if (ms <= 0) {
      action();
      return;
    }
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      action();
    }, ms);
    this.timers.add(timer);
  }

  private log(link: SimulatorLink, direction: 'request' | 'reply', slaveId: number, functionCode: number, bytes: Buffer): void {
    this.receiveLog.push({ at: performance.now(), link, direction, slaveId, functionCode, hex: bytes.toString('hex') });
    this.options.log?.(`${link} ${direction} slave ${slaveId} fc ${functionCode}: ${bytes.toString('hex')}`);
  }

  /** The meter's answer to a PDU, with the slave's fault applied. */
  private answer(meter: SimulatedMeter, pdu: Buffer): { reply: SlaveReply; corruptCrc: boolean } {
    const fault = this.faults.get(meter.slaveId);
    if (fault?.kind === 'silent') return { reply: { kind: 'none' }, corruptCrc: false };
    if (fault?.kind === 'exception') return { reply: { kind: 'reply', pdu: exceptionPdu(pdu[0], fault.code) }, corruptCrc: false };
    const raw = this.rawRegisters(meter, pdu);
    const reply = raw ?? executePdu(meter, pdu, { calibrationDelayMs: this.options.calibrationDelayMs ?? 3500 });
    if (reply.kind === 'reply') {
      const extra = (this.options.replyDelayMs ?? 0) + (fault?.kind === 'delay' ? fault.ms : 0);
      reply.delayMs = (reply.delayMs ?? 0) + extra;
    }
    return { reply, corruptCrc: fault?.kind === 'bad-crc' };
  }

  /** A read wholly inside one of the meter's raw register blocks, answered from it; else undefined. */
  private rawRegisters(meter: SimulatedMeter, pdu: Buffer): SlaveReply | undefined {
    const fc = pdu[0];
    if ((fc !== 3 && fc !== 4) || pdu.length !== 5) return undefined;
    const address = pdu.readUInt16BE(1);
    const quantity = pdu.readUInt16BE(3);
    const spec = this.specs.get(meter);
    const block = spec?.registers?.find((b) => b.function === fc && address >= b.address && address + quantity <= b.address + b.words.length);
    if (!block) {
      // Inside a block but running past its end: the meter has no register there.
      if (spec?.registers?.some((b) => b.function === fc && address >= b.address && address < b.address + b.words.length))
        return { kind: 'reply', pdu: exceptionPdu(fc, 0x02) };
      return undefined;
    }
    const words = block.words.slice(address - block.address, address - block.address + quantity);
    const out = Buffer.alloc(2 + words.length * 2);
    out[0] = fc;
    out[1] = words.length * 2;
    words.forEach((w, i) => out.writeUInt16BE(w & 0xffff, 2 + i * 2));
    return { kind: 'reply', pdu: out };
  }

  // ---- Modbus TCP: MBAP header (transaction id, protocol 0, length, unit id) + PDU ----

  private serveModbusTcp(socket: Socket): void {
    this.track(socket);
    let buffer = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      while (buffer.length >= 8) {
        const length = buffer.readUInt16BE(4);
        if (buffer.length < 6 + length) break;
        const adu = buffer.subarray(0, 6 + length);
        buffer = buffer.subarray(6 + length);
        this.handleMbap(socket, Buffer.from(adu));
      }
    });
  }

  private handleMbap(socket: Socket, adu: Buffer): void {
    const transactionId = adu.readUInt16BE(0);
    const unitId = adu[6];
    const pdu = adu.subarray(7);
    this.log('tcp', 'request', unitId, pdu[0], adu);
    let meter = this.meters.find((m) => m.slaveId === unitId);
    // TCP-native meters answer whatever unit id when they are alone.
    if (!meter && (unitId === 0 || unitId === 0xff) && this.meters.length === 1) meter = this.meters[0];
    let reply: SlaveReply;
    if (!meter)
      reply = { kind: 'reply', pdu: exceptionPdu(pdu[0], 0x0b) }; // gateway target failed to respond
    else reply = this.answer(meter, pdu).reply;
    if (reply.kind === 'none') return;
    const replyPdu = reply.pdu;
    const out = Buffer.alloc(7 + replyPdu.length);
    out.writeUInt16BE(transactionId, 0);
    out.writeUInt16BE(0, 2);
    out.writeUInt16BE(replyPdu.length + 1, 4);
    out[6] = unitId;
    replyPdu.copy(out, 7);
    this.later(reply.delayMs ?? 0, () => {
      if (socket.destroyed) return;
      this.log('tcp', 'reply', unitId, replyPdu[0], out);
      socket.write(out);
    });
  }

  // ---- RTU frames (gateway socket or serial line): address + PDU + CRC ----

  private serveRtuTcp(socket: Socket): void {
    this.track(socket);
    const reader = new RtuRequestReader((frame) => this.handleRtu('rtu-tcp', frame, (out) => !socket.destroyed && socket.write(out)));
    socket.on('data', (chunk: Buffer) => reader.push(chunk));
    socket.on('close', () => reader.dispose());
  }

  private handleRtu(link: SimulatorLink, frame: Buffer, send: (bytes: Buffer) => void): void {
    const address = frame[0];
    const pdu = frame.subarray(1, frame.length - 2);
    this.log(link, 'request', address, pdu[0], frame);
    if (address === BROADCAST) {
      // Broadcast: every meter executes, none answers.
      this.meters.forEach((meter) => executePdu(meter, pdu, { calibrationDelayMs: 0 }));
      return;
    }
    let meter: SimulatedMeter | undefined;
    let replyAddress = address;
    if (address === GENERAL_ADDRESS) {
      const pzems = this.meters.filter((m) => m.model === 'pzem004t' || m.model === 'pzem017');
      if (pzems.length !== 1) return; // two meters answering at once would collide: stay silent
      meter = pzems[0];
      if (this.options.generalAddressReply === 'own') replyAddress = meter.slaveId;
    } else {
      meter = this.meters.find((m) => m.slaveId === address);
    }
    if (!meter) return; // another slave's request: not ours to answer
    const { reply, corruptCrc } = this.answer(meter, pdu);
    if (reply.kind === 'none') return;
    const out = rtuFrame(replyAddress, reply.pdu);
    if (corruptCrc) out[out.length - 1] ^= 0xff;
    const wireMs = this.options.line ? lineReplyTimeMs(this.options.line, frame.length, out.length) : 0;
    // Rounded up: a timer fires late, never early, so a reply never comes sooner than the line allows.
    this.later(Math.ceil((reply.delayMs ?? 0) + wireMs), () => {
      this.log(link, 'reply', replyAddress, reply.pdu[0], out);
      this.sendInPieces(out, send);
    });
  }

  /** One RTU reply, whole or in the pieces setLineChunking asked for. */
  private sendInPieces(out: Buffer, send: (bytes: Buffer) => void): void {
    const chunking = this.chunking;
    if (!chunking || out.length <= chunking.bytes) {
      send(out);
      return;
    }
    send(out.subarray(0, chunking.bytes));
    this.later(chunking.gapMs, () => this.sendInPieces(out.subarray(chunking.bytes), send));
  }

  // ---- serial line (pty) ----

  private openSerial(first: boolean): Promise<void> {
    const path = this.serialPath as string;
    return new Promise<void>((resolve, reject) => {
      const port = new SerialPort({ path, baudRate: 9600, autoOpen: false });
      port.open((error) => {
        if (error) {
          if (first) reject(error);
          else resolve();
          this.retrySerial();
          return;
        }
        this.serial = port;
        this.serialReader?.dispose();
        const reader = new RtuRequestReader((frame) => this.handleRtu('serial', frame, (out) => port.isOpen && port.write(out)));
        this.serialReader = reader;
        port.on('data', (chunk: Buffer) => reader.push(chunk));
        port.on('error', () => undefined);
        port.on('close', () => {
          // The pty vanished (socat killed = cable unplugged): reopen when it comes back.
          if (this.serial === port) this.serial = undefined;
          this.retrySerial();
        });
        resolve();
      });
    });
  }

  private retrySerial(): void {
    if (this.closed) return;
    this.later(200, () => {
      if (!this.closed && !this.serial) void this.openSerial(false);
    });
  }
}

/** Starts a simulator with the given meters on the requested links. */
export async function startSimulator(options: SimulatorOptions): Promise<RunningSimulator> {
  const simulator = new Simulator(options);
  try {
    await simulator.start();
  } catch (error) {
    await simulator.close();
    throw error;
  }
  return simulator;
}
