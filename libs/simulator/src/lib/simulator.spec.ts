import { connect, type Socket } from 'node:net';
import { modbusCrc, rtuFrame } from './crc';
import { startSimulator, type RunningSimulator } from './simulator';

/**
 * Sends bytes and collects the reply: what arrives until 30 ms of quiet after its first byte, or
 * nothing when `silenceMs` pass without a byte (a meter that stays silent). Waiting on the reply
 * itself, not a fixed time: on a busy machine a reply came after 60 ms and was read by the next test.
 */
function exchange(socket: Socket, bytes: Buffer, silenceMs = 1500): Promise<Buffer> {
  const chunks: Buffer[] = [];
  return new Promise((resolve) => {
    let quiet: NodeJS.Timeout | undefined;
    const finish = () => {
      clearTimeout(quiet);
      clearTimeout(nothing);
      socket.off('data', onData);
      resolve(Buffer.concat(chunks));
    };
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      clearTimeout(nothing);
      clearTimeout(quiet);
      quiet = setTimeout(finish, 30);
    };
    const nothing = setTimeout(finish, silenceMs);
    socket.on('data', onData);
    socket.write(bytes);
  });
}

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port }, () => resolve(socket));
    socket.once('error', reject);
  });
}

describe('CRC-16/MODBUS (simulator copy)', () => {
  it('matches the PZEM datasheet frame 01 04 0000 000A 70 0D', () => {
    expect(modbusCrc(Buffer.from('01040000000a', 'hex'))).toBe(0x0d70);
    expect(rtuFrame(0x01, Buffer.from([0x42])).toString('hex')).toBe('01428011');
  });
});

describe('simulator over RTU-over-TCP, hand-built frames', () => {
  let sim: RunningSimulator;
  let socket: Socket;
  beforeAll(async () => {
    sim = await startSimulator({
      rtuTcpPort: 0,
      meters: [
        { model: 'pzem004t', slaveId: 1, values: { voltage: 230.2, current: 1, power: 230.2, energy: 65536, frequency: 50, powerFactor: 1, alarm: 0 } },
        { model: 'sdm120', slaveId: 2, values: { voltage: 230.2 } },
      ],
    });
    socket = await open(sim.rtuTcpPort as number);
  });
  afterAll(async () => {
    socket.destroy();
    await sim.close();
  });

  it('serves the PZEM register layout exactly', async () => {
    const reply = await exchange(socket, Buffer.from('01040000000a700d', 'hex'));
    // 01 04 14 | 08FE (2302) | 03E8 0000 (1000 mA, low word first) | 08FE 0000 (2302 x 0.1 W)
    // | 0000 0001 (65536 Wh: low 0000, high 0001) | 01F4 (500) | 0064 (100) | 0000 | CRC
    const body = '010414' + '08fe' + '03e80000' + '08fe0000' + '00000001' + '01f4' + '0064' + '0000';
    const crc = modbusCrc(Buffer.from(body, 'hex'));
    expect(reply.toString('hex')).toBe(body + (crc & 0xff).toString(16).padStart(2, '0') + (crc >> 8).toString(16).padStart(2, '0'));
  });

  it('serves Eastron floats ABCD, high word first', async () => {
    const reply = await exchange(socket, rtuFrame(2, Buffer.from('0400000002', 'hex')));
    // 230.2 = 1.7984375 x 2^7: sign 0, exponent 127 + 7 = 134 = 0x86, mantissa 0.7984375 x 2^23 = 6697779.2
    // -> rounds to 6697779 = 0x663333: bits 0 10000110 1100110...0011 = 43 66 33 33 (230.19999695).
    // PROTOCOLS.md's example 43 66 33 34 (230.20001221, one unit of the last place higher, as a real
    // meter sent it) decodes to 230.2 as well at the meter's 0.1 V resolution.
    expect(reply.subarray(0, 7).toString('hex')).toBe('02040443663333');
  });

  it('answers exception 02 for half a float and stays silent for other slaves', async () => {
    const odd = await exchange(socket, rtuFrame(2, Buffer.from('0400010002', 'hex')));
    expect(odd.subarray(0, 3).toString('hex')).toBe('028402');
    expect(await exchange(socket, rtuFrame(9, Buffer.from('0400000002', 'hex')))).toHaveLength(0);
  });

  it('echoes a 0x06 write and a 0x42 reset, and ignores frames with a bad CRC', async () => {
    const write = rtuFrame(1, Buffer.from('0600010064', 'hex')); // threshold = 100 W
    expect((await exchange(socket, write)).equals(write)).toBe(true);
    expect(sim.meter(1).readHolding(1, 1)).toEqual({ words: [100] });
    const bad = Buffer.from(write);
    bad[bad.length - 1] ^= 0xff;
    expect(await exchange(socket, bad)).toHaveLength(0);
    expect((await exchange(socket, Buffer.from('01428011', 'hex'))).toString('hex')).toBe('01428011');
    expect(sim.getValues(1).energy).toBe(0);
  });

  it('can go silent, answer an exception or corrupt the CRC on demand', async () => {
    const request = Buffer.from('01040000000a700d', 'hex');
    sim.setSilent(1, true);
    expect(await exchange(socket, request)).toHaveLength(0);
    sim.setFault(1, { kind: 'exception', code: 4 });
    expect((await exchange(socket, request)).toString('hex')).toBe(rtuFrame(1, Buffer.from([0x84, 0x04])).toString('hex'));
    sim.setFault(1, { kind: 'bad-crc' });
    const corrupt = await exchange(socket, request);
    expect(corrupt).toHaveLength(25);
    expect(modbusCrc(corrupt.subarray(0, 23))).not.toBe(corrupt.readUInt16LE(23));
    sim.setFault(1, null);
    expect(await exchange(socket, request)).toHaveLength(25);
  });
});

describe('simulator over Modbus TCP', () => {
  it('wraps replies in MBAP and keeps live energy growing', async () => {
    let now = 1_700_000_000_000;
    const sim = await startSimulator({ tcpPort: 0, clock: () => now, meters: [{ model: 'pzem004t', slaveId: 5 }] });
    const socket = await open(sim.tcpPort as number);
    try {
      // MBAP: tid 0x1234, protocol 0, length 6, unit 5 | 04 0000 000A
      const reply = await exchange(socket, Buffer.from('1234' + '0000' + '0006' + '05' + '04' + '0000' + '000a', 'hex'));
      // tid 1234, protocol 0000, length 0x17 = unit + fc + count + 20 data bytes, unit 05, fc 04, count 0x14
      expect(reply.subarray(0, 9).toString('hex')).toBe('1234' + '0000' + '0017' + '05' + '04' + '14');
      expect(reply).toHaveLength(6 + 0x17);
      const first = sim.getValues(5).energy as number;
      now += 3_600_000; // one hour at a few hundred watts
      const second = sim.getValues(5).energy as number;
      expect(second).toBeGreaterThan(first + 100);
      const { voltage } = sim.getValues(5);
      expect(voltage).toBeGreaterThan(220);
      expect(voltage).toBeLessThan(240);
    } finally {
      socket.destroy();
      await sim.close();
    }
  });
});
