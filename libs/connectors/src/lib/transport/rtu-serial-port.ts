import { EventEmitter } from 'node:events';
import { SerialPort } from 'serialport';
import type { SerialLineSettings } from '../config/device-config';
import { RtuReplyAssembler } from '../modbus/rtu-reply';

/**
 * A serial port for modbus-serial (`new ModbusRTU(port)`) that hands over whole replies.
 *
 * modbus-serial's plain RTU port passes every chunk the serial driver delivers as a complete frame,
 * so a reply split by a USB adapter fails its CRC; its buffered port knows only the standard
 * function codes and times out on the PZEM's 0x42 reset. This port reassembles the reply to the
 * request last written, for every function FieldBus sends, and drops bytes nobody asked for.
 */
export class RtuSerialPort extends EventEmitter {
  private readonly port: SerialPort;
  private assembler?: RtuReplyAssembler;

  constructor(path: string, settings: SerialLineSettings) {
    super();
    this.port = new SerialPort({ path, ...settings, autoOpen: false });
    this.port.on('data', (chunk: Buffer) => this.onData(chunk));
    // modbus-serial listens only while the port is open; an error after it let go (a close that
    // fails after an unplug) must not become an uncaught 'error' event that stops the server.
    this.port.on('error', (error: Error) => {
      if (this.listenerCount('error') > 0) this.emit('error', error);
    });
    this.port.on('close', () => this.emit('close'));
  }

  get isOpen(): boolean {
    return this.port.isOpen;
  }

  open(callback: (error?: Error | null) => void): void {
    this.port.open(callback);
  }

  /** Sends one request frame; the next 'data' event is its whole reply. */
  write(frame: Buffer): void {
    this.assembler = new RtuReplyAssembler(frame);
    this.port.write(frame);
  }

  close(callback?: (error?: Error | null) => void): void {
    this.assembler = undefined;
    if (this.port.isOpen) this.port.close(callback);
    else callback?.(null);
  }

  destroy(): void {
    this.close();
  }

  private onData(chunk: Buffer): void {
    // No request outstanding: a reply after its timeout, or noise. The next request must not see it.
    if (!this.assembler) return;
    const reply = this.assembler.push(chunk);
    if (!reply) return;
    this.assembler = undefined;
    this.emit('data', reply);
  }
}
