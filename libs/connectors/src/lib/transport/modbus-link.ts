import type { ModbusDeviceConfig } from '../config/device-config';
import { connect as netConnect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import ModbusRTU from 'modbus-serial';
import type { SerialLineSettings } from '../config/device-config';
import { FieldBusError, MODBUS_EXCEPTION_NAMES, hex2 } from '../errors';
import { isCharacterDevice } from '../network/plant-network';
import { RtuReplyAssembler } from '../modbus/rtu-reply';
import { doublingDelayMs } from '../scheduling/backoff';
import { interFrameSilenceMs } from './line-timing';
import { RtuSerialPort } from './rtu-serial-port';

export type ModbusClient = InstanceType<typeof ModbusRTU>;

export interface FieldBusLogger {
  warn(message: string): void;
  debug(message: string): void;
}

export type LinkEndpoint =
  | { kind: 'rtu'; path: string; serial: SerialLineSettings }
  | { kind: 'tcp'; host: string; port: number }
  | { kind: 'rtu-tcp'; host: string; port: number; serial: SerialLineSettings };

export interface LinkOptions {
  logger?: FieldBusLogger;
  /** First reconnect delay after a failed open; doubles per failure. */
  reconnectBaseMs: number;
  reconnectMaxMs: number;
  /**
   * For a link held to the plant-network policy: resolves and checks its host, answering the
   * address to connect to (throws when the host is not allowed).
   */
  resolveHeldHost?: (host: string) => Promise<string>;
  /**
   * A TCP link (Modbus TCP, RTU gateway) that cannot be opened is probed with a bare TCP connect
   * this often (no Modbus request, nothing queued behind it) until it answers; then the reopen
   * back-off is forgotten and `onReachable` is called. 0 turns probing off.
   */
  probeIntervalMs?: number;
  /** Told when a TCP link that could not be opened accepts a connection again. */
  onReachable?: (linkKey: string) => void;
}

export interface TransactionContext {
  /** Slave id (RTU) or unit id (TCP). */
  unitId: number;
  timeoutMs: number;
  /** Extra silence required before this transaction, on top of t3.5. */
  pauseMs: number;
  /** How long opening the link may take when it is closed (default: timeoutMs). */
  openTimeoutMs?: number;
}

export function linkKeyOf(endpoint: LinkEndpoint): string {
  return endpoint.kind === 'rtu' ? `rtu:${endpoint.path}` : `${endpoint.kind}:${endpoint.host}:${endpoint.port}`;
}

function serialSignature(serial: SerialLineSettings): string {
  const parity = serial.parity === 'none' ? 'N' : serial.parity === 'even' ? 'E' : 'O';
  return `${serial.baudRate} ${serial.dataBits}${parity}${serial.stopBits}`;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * ModbusLink: one physical link (serial port, Modbus TCP connection, RTU gateway socket)
 * with its queue. modbus-serial has no queue of its own, and two requests in flight on a
 * serial line corrupt each other, so every transaction goes through `exclusive()`: exactly
 * one at a time per link, whatever slave it addresses, followed by the inter-frame silence.
 * A lost port or socket is reopened on a later request, with exponential backoff; a TCP link
 * that cannot be opened is probed meanwhile, and its users are told as soon as it answers.
 */
export class ModbusLink {
  readonly key: string;
  readonly label: string;
  /** Devices that have used this link with its current settings. */
  readonly users = new Set<string>();
  private client?: ModbusClient;
  /** Our own socket for RTU-over-TCP, used for frames modbus-serial's telnet port drops. */
  private socket?: Socket;
  private tail: Promise<unknown> = Promise.resolve();
  private lastTransactionEndedAt = -Infinity;
  private failedOpens = 0;
  private nextOpenAt = 0;
  private lastOpenError = '';
  private closed = false;
  /** A device whose settings a client's user chose reads through this link: every connect is checked. */
  private held = false;
  /** A probe of an unreachable TCP link is under way (waiting or connecting). */
  private probing = false;
  private probeTimer?: NodeJS.Timeout;

  constructor(
    readonly endpoint: LinkEndpoint,
    private readonly options: LinkOptions,
  ) {
    this.key = linkKeyOf(endpoint);
    this.label = endpoint.kind === 'rtu' ? endpoint.path : `${endpoint.host}:${endpoint.port}`;
  }

  /** Serial settings as text ("9600 8N1"), empty for Modbus TCP. */
  get settingsSignature(): string {
    return this.endpoint.kind === 'tcp' ? '' : serialSignature(this.endpoint.serial);
  }

  get isOpen(): boolean {
    return this.client?.isOpen === true;
  }

  /** t3.5 of the serial side; Modbus TCP frames are delimited by MBAP, not by silence. */
  get silenceMs(): number {
    return this.endpoint.kind === 'tcp' ? 0 : interFrameSilenceMs(this.endpoint.serial);
  }

  /**
   * From now on every connect resolves the host, checks the addresses against the plant-network
   * policy and connects to the checked address. A connection opened before without that check is
   * dropped (after the transactions queued before) and reopened with it.
   */
  holdToPolicy(): void {
    if (this.held || this.endpoint.kind === 'rtu') return;
    this.held = true;
    void this.exclusive(async () => this.drop());
  }

  /** Runs `task` when every earlier task on this link has settled. */
  exclusive<T>(task: () => Promise<T>): Promise<T> {
    const result = this.tail.then(task);
    this.tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }

  /** One request/reply on the line, through the modbus-serial client. */
  transaction<T>(ctx: TransactionContext, operation: (client: ModbusClient) => Promise<T>): Promise<T> {
    return this.exclusive(async () => {
      const client = await this.ensureOpen(ctx.openTimeoutMs ?? ctx.timeoutMs);
      await this.keepSilence(ctx.pauseMs);
      client.setID(ctx.unitId);
      client.setTimeout(ctx.timeoutMs);
      try {
        return await this.guard(operation(client), ctx);
      } catch (error) {
        throw this.translate(error, ctx);
      } finally {
        this.lastTransactionEndedAt = performance.now();
      }
    });
  }

  /**
   * A raw RTU frame on the gateway socket, bypassing modbus-serial: its telnet port drops
   * frames under 6 bytes, which rules out the 4-byte PZEM reset (0x42). Resolves with the whole
   * reply (however the gateway split it), CRC not yet checked.
   */
  rawRtuTransaction(ctx: TransactionContext, frame: Buffer): Promise<Buffer> {
    if (this.endpoint.kind !== 'rtu-tcp') {
      return Promise.reject(new FieldBusError('unsupported', `raw frames are only sent to RTU-over-TCP gateways (${this.label})`));
    }
    return this.exclusive(async () => {
      await this.ensureOpen(ctx.timeoutMs);
      await this.keepSilence(ctx.pauseMs);
      const socket = this.socket;
      if (!socket) throw this.linkDown('the gateway socket is closed');
      try {
        return await new Promise<Buffer>((resolve, reject) => {
          const assembler = new RtuReplyAssembler(frame);
          const finish = (error?: Error, reply?: Buffer) => {
            clearTimeout(timer);
            socket.off('data', onData);
            if (error) reject(error);
            else resolve(reply as Buffer);
          };
          const onData = (chunk: Buffer) => {
            const reply = assembler.push(chunk);
            if (reply) finish(undefined, reply);
          };
          const timer = setTimeout(
            () => finish(new FieldBusError('timeout', `meter ${ctx.unitId} on ${this.label} did not answer within ${ctx.timeoutMs} ms`, { lineKey: this.key })),
            ctx.timeoutMs,
          );
          socket.on('data', onData);
          socket.write(frame);
        });
      } finally {
        this.lastTransactionEndedAt = performance.now();
      }
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.probeTimer);
    await this.exclusive(async () => this.drop());
  }

  /**
   * While a TCP link cannot be opened, a bare connect every probeIntervalMs tells when it is back,
   * so that its meters are read at once instead of at their next back-off step (up to a minute
   * later). Stops when a request reopened the link, when no device uses it any more, or on close.
   */
  private probeUntilReachable(): void {
    const every = this.options.probeIntervalMs ?? 0;
    if (this.endpoint.kind === 'rtu' || every <= 0 || this.probing || this.closed) return;
    const { host, port } = this.endpoint;
    this.probing = true;
    const stillDown = () => !this.closed && this.failedOpens > 0 && this.users.size > 0;
    const attempt = () => {
      if (!stillDown()) {
        this.probing = false;
        return;
      }
      // A link held to the plant-network policy is probed at the checked address only, as it is opened.
      const address = this.held && this.options.resolveHeldHost ? this.options.resolveHeldHost(host) : Promise.resolve(host);
      address
        .then((target) => connectSocket(target, port, Math.max(every, 1000)))
        .then(
          (socket) => {
            socket.destroy();
            this.probing = false;
            if (!stillDown()) return;
            this.failedOpens = 0;
            this.nextOpenAt = 0;
            this.options.logger?.warn(`${this.label} is reachable again`);
            this.options.onReachable?.(this.key);
          },
          () => schedule(),
        );
    };
    const schedule = () => {
      this.probeTimer = setTimeout(attempt, every);
      this.probeTimer.unref?.();
    };
    schedule();
  }

  private async keepSilence(pauseMs: number): Promise<void> {
    const wait = this.lastTransactionEndedAt + this.silenceMs + pauseMs - performance.now();
    if (wait > 0) await sleep(Math.ceil(wait));
  }

  /**
   * modbus-serial settles every transaction through its own timer once setTimeout was
   * called; this guard only catches a client that never settles (it would block the queue).
   */
  private guard<T>(pending: Promise<T>, ctx: TransactionContext): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.drop();
        reject(Object.assign(new Error('Timed out'), { name: 'TransactionTimedOutError' }));
      }, ctx.timeoutMs + 250);
      pending.then(
        (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(error);
        },
      );
    });
  }

  private linkDown(reason: string): FieldBusError {
    return new FieldBusError('link-down', `${this.label} is not reachable: ${reason}`, { lineKey: this.key });
  }

  private async ensureOpen(timeoutMs: number): Promise<ModbusClient> {
    if (this.closed) throw new FieldBusError('link-down', `${this.label} was closed (the field bus is shutting down)`, { lineKey: this.key });
    if (this.client?.isOpen) return this.client;
    if (this.client) this.drop();
    const now = Date.now();
    if (now < this.nextOpenAt) {
      throw this.linkDown(`${this.lastOpenError}; the line is not reopened for another ${Math.ceil((this.nextOpenAt - now) / 100) / 10} s`);
    }
    try {
      const client = await this.open(timeoutMs);
      if (this.failedOpens > 0) this.options.logger?.warn(`${this.label} is reachable again`);
      this.failedOpens = 0;
      this.client = client;
      return client;
    } catch (error) {
      this.failedOpens += 1;
      this.lastOpenError = describeOpenError(error);
      this.nextOpenAt = Date.now() + doublingDelayMs(this.failedOpens, this.options.reconnectBaseMs, this.options.reconnectMaxMs);
      this.options.logger?.warn(`cannot open ${this.label}: ${this.lastOpenError} (attempt ${this.failedOpens})`);
      this.probeUntilReachable();
      throw new FieldBusError('link-down', `cannot open ${this.label}: ${this.lastOpenError}`, { lineKey: this.key });
    }
  }

  private async open(timeoutMs: number): Promise<ModbusClient> {
    const endpoint = this.endpoint;
    // Only a character device is opened: a path that is missing, a regular file or a link to one (perhaps changed after
    // the device was saved) fails alike, so that the answer never tells whether a file exists.
    if (endpoint.kind === 'rtu' && !(await isCharacterDevice(endpoint.path))) throw Object.assign(new Error('no such serial port'), { code: 'ENOENT' });
    const address = endpoint.kind !== 'rtu' && this.held && this.options.resolveHeldHost ? await this.options.resolveHeldHost(endpoint.host) : undefined;
    const client = endpoint.kind === 'rtu' ? new ModbusRTU(new RtuSerialPort(endpoint.path, endpoint.serial)) : new ModbusRTU();
    // modbus-serial has no default timeout: without this a silent meter blocks the line forever.
    client.setTimeout(timeoutMs);
    client.on('error', (error: unknown) => this.options.logger?.warn(`${this.label}: ${describeOpenError(error)}`));
    client.on('close', () => this.options.logger?.debug(`${this.label} closed`));
    try {
      if (endpoint.kind === 'rtu') {
        // Our port hands modbus-serial whole replies, however the adapter splits them (RtuSerialPort).
        await new Promise<void>((resolve, reject) => client.open((error: unknown) => (error ? reject(error) : resolve())));
      } else if (endpoint.kind === 'tcp') {
        await client.connectTCP(address ?? endpoint.host, { port: endpoint.port });
      } else {
        const socket = await connectSocket(address ?? endpoint.host, endpoint.port, timeoutMs);
        this.socket = socket;
        await client.linkTelnet(socket, {});
      }
    } catch (error) {
      client.destroy(() => undefined);
      this.socket?.destroy();
      this.socket = undefined;
      throw error;
    }
    if (!client.isOpen) {
      client.destroy(() => undefined);
      throw new Error('the connection closed while opening');
    }
    return client;
  }

  private drop(): void {
    const client = this.client;
    this.client = undefined;
    if (client) client.destroy(() => undefined);
    this.socket?.destroy();
    this.socket = undefined;
  }

  private translate(error: unknown, ctx: TransactionContext): FieldBusError {
    if (error instanceof FieldBusError) return error;
    const err = error as { name?: string; message?: string; modbusCode?: number; errno?: string };
    const meter = `meter ${ctx.unitId} on ${this.label}`;
    const message = err.message ?? String(error);
    if (typeof err.modbusCode === 'number') {
      const name = MODBUS_EXCEPTION_NAMES[err.modbusCode] ?? 'unknown exception';
      return new FieldBusError('exception', `Modbus exception ${hex2(err.modbusCode)} (${name}) from ${meter}`, {
        lineKey: this.key,
        modbusCode: err.modbusCode,
      });
    }
    if (err.name === 'TransactionTimedOutError' || err.errno === 'ETIMEDOUT' || message === 'Timed out') {
      return new FieldBusError('timeout', `${meter} did not answer within ${ctx.timeoutMs} ms`, { lineKey: this.key });
    }
    if (message.includes('CRC error')) {
      return new FieldBusError('corrupt', `${meter} sent a corrupt reply (CRC error)`, { lineKey: this.key });
    }
    if (err.name === 'PortNotOpenError' || message.includes('Port Not Open')) {
      this.drop();
      return new FieldBusError('link-down', `${this.label} closed during the request to meter ${ctx.unitId}; it is reopened on the next request`, {
        lineKey: this.key,
      });
    }
    return new FieldBusError('corrupt', `${meter} sent an unexpected reply: ${message}`, { lineKey: this.key });
  }
}

function describeOpenError(error: unknown): string {
  const err = error as { code?: string; message?: string };
  if (err?.code === 'ECONNREFUSED') return 'connection refused';
  if (err?.code === 'EHOSTUNREACH') return 'host unreachable';
  if (err?.code === 'ENOENT' || /No such file/.test(err?.message ?? '')) return 'no such serial port';
  if (err?.message) return err.message;
  return String(error);
}

function connectSocket(host: string, port: number, timeoutMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = netConnect({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no connection within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.setNoDelay(true);
      socket.removeListener('error', onError);
      // Errors after connecting surface as a closed port on the next request.
      socket.on('error', () => undefined);
      resolve(socket);
    });
    const onError = (error: Error) => {
      clearTimeout(timer);
      reject(error);
    };
    socket.once('error', onError);
  });
}

/** A Modbus device's unit id, timeout and pause, as one transaction on its line needs them. */
export function transactionContext(config: ModbusDeviceConfig): TransactionContext {
  return {
    unitId: config.transport === 'tcp' ? config.unitId : config.slaveId,
    timeoutMs: config.timeoutMs,
    pauseMs: config.interFramePauseMs,
  };
}
