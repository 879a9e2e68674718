import { crc16Modbus } from './crc16';
import { RtuReplyAssembler, rtuReplyLength } from './rtu-reply';

const hex = (text: string) => Buffer.from(text.replace(/\s+/g, ''), 'hex');

// PZEM-004T v3.0: read 10 input registers from 0x0000 at address 1 (PROTOCOLS.md); the CRC of
// 01 04 00 00 00 0A is 0x0D70, sent low byte first.
const PZEM_READ = hex('01 04 0000 000A 700D');
// Its reply: 01 04 14 then 20 data bytes, then the CRC (0x415E): 3 + 2 x 10 + 2 = 25 bytes.
// 2298 (229.8 V), 500/0 (0.500 A), 1034/0 (103.4 W), 0x1170/0x0001 (70000 Wh), 501 (50.1 Hz), 90 (0.90), 0 (alarm).
const PZEM_REPLY = hex('01 04 14 08FA 01F4 0000 040A 0000 1170 0001 01F5 005A 0000 5E41');

describe('RtuReplyAssembler', () => {
  it('the frames below carry their real CRCs', () => {
    for (const frame of [
      PZEM_READ,
      PZEM_REPLY,
      hex('01 84 02 C2C1'),
      hex('01 42 8011'),
      hex('01 06 0001 08FC DF8B'),
      hex('F8 06 0002 0005 FC60'),
      hex('01 06 0002 0005 E809'),
    ]) {
      expect(crc16Modbus(frame.subarray(0, -2))).toBe(frame.readUInt16LE(frame.length - 2));
    }
  });

  it('waits for the whole 25-byte reply to a 10-register read however it is split', () => {
    expect(PZEM_REPLY).toHaveLength(25);
    for (const size of [1, 2, 6, 24]) {
      const assembler = new RtuReplyAssembler(PZEM_READ);
      const pieces: (Buffer | undefined)[] = [];
      for (let at = 0; at < PZEM_REPLY.length; at += size) pieces.push(assembler.push(PZEM_REPLY.subarray(at, at + size)));
      expect(pieces.slice(0, -1).every((piece) => piece === undefined)).toBe(true);
      expect(pieces.at(-1)).toEqual(PZEM_REPLY);
    }
  });

  it('skips bytes before the reply: the tail of a late answer and noise', () => {
    const assembler = new RtuReplyAssembler(PZEM_READ);
    // "...0000 5E41" is the tail of an earlier reply; 00 FF is noise after the line turned around.
    expect(assembler.push(hex('0000 5E41 00FF'))).toBeUndefined();
    expect(assembler.push(PZEM_REPLY.subarray(0, 10))).toBeUndefined();
    expect(assembler.push(Buffer.concat([PZEM_REPLY.subarray(10), hex('AA')]))).toEqual(PZEM_REPLY);
  });

  it('takes the length from the request, so a count byte hit by noise still gives a frame (whose CRC then fails)', () => {
    const damaged = Buffer.from(PZEM_REPLY);
    damaged[2] = 0xff;
    expect(new RtuReplyAssembler(PZEM_READ).push(damaged)).toEqual(damaged);
  });

  it('recognises a 5-byte exception: 01 84 02 (illegal data address) + CRC', () => {
    const exception = hex('01 84 02 C2C1');
    const assembler = new RtuReplyAssembler(PZEM_READ);
    expect(assembler.push(exception.subarray(0, 3))).toBeUndefined();
    expect(assembler.push(exception.subarray(3))).toEqual(exception);
  });

  it("waits for the PZEM's 4-byte reset echo (01 42 80 11) and for the 8-byte echo of a write", () => {
    const reset = hex('01 42 8011');
    const assembler = new RtuReplyAssembler(reset);
    expect([...reset].map((byte) => assembler.push(Buffer.of(byte)))).toEqual([undefined, undefined, undefined, reset]);

    // Write single register 0x0001 (alarm threshold) = 2300 W at address 1.
    const write = hex('01 06 0001 08FC DF8B');
    expect(rtuReplyLength(write, write.subarray(0, 2))).toBe(8);
    expect(new RtuReplyAssembler(write).push(write)).toEqual(write);
  });

  it("accepts a reply from the meter's own address to a request at the general address 0xF8", () => {
    // Write the slave address register (0x0002) = 5 at 0xF8; this PZEM answers as 01.
    const request = hex('F8 06 0002 0005 FC60');
    const reply = hex('01 06 0002 0005 E809');
    expect(new RtuReplyAssembler(request).push(reply)).toEqual(reply);
  });

  it('read coils: 5 + ceil(quantity / 8) bytes', () => {
    expect(rtuReplyLength(hex('01 01 0000 000A 0000'), hex('0101'))).toBe(7);
    expect(rtuReplyLength(hex('01 02 0000 0010 0000'), hex('0102'))).toBe(7);
    expect(rtuReplyLength(hex('01 03 0000 004C 0000'), hex('0103'))).toBe(157);
  });
});
