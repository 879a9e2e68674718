import { RtuSerialPort } from './rtu-serial-port';

describe('RtuSerialPort', () => {
  const settings = { baudRate: 9600, parity: 'none', dataBits: 8, stopBits: 1 } as const;

  it("passes serial errors on while modbus-serial listens, and swallows them after it let go (no uncaught 'error')", () => {
    const port = new RtuSerialPort('/dev/pieng-no-such-port', settings);
    const serial = port['port'];
    expect(() => serial.emit('error', new Error('EIO after unplug'))).not.toThrow();
    const seen: string[] = [];
    port.on('error', (error: Error) => seen.push(error.message));
    serial.emit('error', new Error('write failed'));
    expect(seen).toEqual(['write failed']);
  });

  it('names the missing port when it cannot open', async () => {
    const port = new RtuSerialPort('/dev/pieng-no-such-port', settings);
    const error = await new Promise<Error | null | undefined>((resolve) => port.open(resolve));
    expect(error?.message).toContain('/dev/pieng-no-such-port');
    expect(port.isOpen).toBe(false);
    // Closing a port that never opened answers at once.
    await new Promise<void>((resolve, reject) => port.close((e) => (e ? reject(e) : resolve())));
  });
});
