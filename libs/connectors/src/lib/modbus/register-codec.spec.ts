import { applyScale, decodeField, decodeRaw } from './register-codec';
import { crc16Modbus, withCrc } from './crc16';

describe('decodeRaw word and byte orders', () => {
  // 0x12345678 = 305419896. Bytes A=12 B=34 C=56 D=78 laid out per order.
  it.each([
    ['ABCD', [0x1234, 0x5678]],
    ['CDAB', [0x5678, 0x1234]],
    ['BADC', [0x3412, 0x7856]],
    ['DCBA', [0x7856, 0x3412]],
  ] as const)('uint32 %s', (order, words) => {
    expect(decodeRaw(words, 'uint32', order)).toBe(305419896);
  });

  // -2 as int32 = 0xFFFFFFFE
  it.each([
    ['ABCD', [0xffff, 0xfffe]],
    ['CDAB', [0xfffe, 0xffff]],
    ['BADC', [0xffff, 0xfeff]],
    ['DCBA', [0xfeff, 0xffff]],
  ] as const)('int32 %s', (order, words) => {
    expect(decodeRaw(words, 'int32', order)).toBe(-2);
  });

  // 230.2 V as IEEE-754 float32 = 43 66 33 34 (PROTOCOLS.md example); float32 holds 230.19999694824219
  it.each([
    ['ABCD', [0x4366, 0x3334]],
    ['CDAB', [0x3334, 0x4366]],
    ['BADC', [0x6643, 0x3433]],
    ['DCBA', [0x3433, 0x6643]],
  ] as const)('float32 %s', (order, words) => {
    expect(decodeRaw(words, 'float32', order)).toBeCloseTo(230.2, 4);
  });

  // 0x0001000200030004 = 1*2^48 + 2*2^32 + 3*2^16 + 4
  //   = 281474976710656 + 8589934592 + 196608 + 4 = 281483566841860
  it.each([
    ['ABCD', [0x0001, 0x0002, 0x0003, 0x0004]],
    ['CDAB', [0x0004, 0x0003, 0x0002, 0x0001]],
    ['BADC', [0x0100, 0x0200, 0x0300, 0x0400]],
    ['DCBA', [0x0400, 0x0300, 0x0200, 0x0100]],
  ] as const)('uint64 and int64 %s', (order, words) => {
    expect(decodeRaw(words, 'uint64', order)).toBe(281483566841860n);
    expect(decodeRaw(words, 'int64', order)).toBe(281483566841860n);
  });

  // -3 as int64 = 0xFFFF FFFF FFFF FFFD
  it.each([
    ['ABCD', [0xffff, 0xffff, 0xffff, 0xfffd]],
    ['CDAB', [0xfffd, 0xffff, 0xffff, 0xffff]],
    ['BADC', [0xffff, 0xffff, 0xffff, 0xfdff]],
    ['DCBA', [0xfdff, 0xffff, 0xffff, 0xffff]],
  ] as const)('negative int64 %s', (order, words) => {
    expect(decodeRaw(words, 'int64', order)).toBe(-3n);
    expect(decodeRaw(words, 'uint64', order)).toBe(18446744073709551613n); // 2^64 - 3
  });

  // 1.5 as float64 = 0x3FF8 0000 0000 0000
  it.each([
    ['ABCD', [0x3ff8, 0, 0, 0]],
    ['CDAB', [0, 0, 0, 0x3ff8]],
    ['BADC', [0xf83f, 0, 0, 0]],
    ['DCBA', [0, 0, 0, 0xf83f]],
  ] as const)('float64 %s', (order, words) => {
    expect(decodeRaw(words, 'float64', order)).toBe(1.5);
  });

  it('16-bit types swap bytes only for BADC/DCBA', () => {
    // -100 = 0xFF9C
    expect(decodeRaw([0xff9c], 'int16', 'ABCD')).toBe(-100);
    expect(decodeRaw([0xff9c], 'int16', 'CDAB')).toBe(-100);
    expect(decodeRaw([0x9cff], 'int16', 'BADC')).toBe(-100);
    expect(decodeRaw([0x9cff], 'uint16', 'DCBA')).toBe(0xff9c);
  });

  it('rejects a wrong number of words', () => {
    expect(() => decodeRaw([1], 'uint32', 'ABCD')).toThrow('uint32 needs 2 registers');
  });
});

describe('scale, offset and bits', () => {
  it('gives the decimal a person would write for 0.1-style scales', () => {
    expect(applyScale(2302, 0.1)).toBe(230.2); // 2302 / 10, not 2302 * 0.1 = 230.20000000000002
    expect(applyScale(87, 0.01)).toBe(0.87);
    expect(applyScale(70000, 0.001)).toBe(70);
    expect(applyScale(1234.5, 1000)).toBe(1234500);
  });
  it('applies value = raw * scale + offset', () => {
    // 100 * 0.5 - 40 = 10
    expect(decodeField([100], { type: 'uint16', order: 'ABCD', scale: 0.5, offset: -40 })).toBe(10);
    // int16 -100 * 0.1 + 0 = -10
    expect(decodeField([0xff9c], { type: 'int16', order: 'ABCD', scale: 0.1, offset: 0 })).toBe(-10);
  });
  it('extracts bit fields as 0 or 1', () => {
    // 0x0005 = 0b101
    expect(decodeField([0x0005], { type: 'uint16', order: 'ABCD', scale: 1, offset: 0, bit: 2 })).toBe(1);
    expect(decodeField([0x0005], { type: 'uint16', order: 'ABCD', scale: 1, offset: 0, bit: 1 })).toBe(0);
    // int16 0x8000 (negative) bit 15 = 1; uint32 CDAB [0x0000, 0x8000] = 0x80000000 bit 31 = 1
    expect(decodeField([0x8000], { type: 'int16', order: 'ABCD', scale: 1, offset: 0, bit: 15 })).toBe(1);
    expect(decodeField([0x0000, 0x8000], { type: 'uint32', order: 'CDAB', scale: 1, offset: 0, bit: 31 })).toBe(1);
    expect(decodeField([0x8000, 0, 0, 0], { type: 'uint64', order: 'ABCD', scale: 1, offset: 0, bit: 63 })).toBe(1);
  });
});

describe('CRC-16/MODBUS', () => {
  it('matches the PZEM datasheet read command 01 04 0000 000A -> CRC 70 0D (low byte first)', () => {
    const frame = withCrc(Uint8Array.of(0x01, 0x04, 0x00, 0x00, 0x00, 0x0a));
    expect(frame.toString('hex')).toBe('01040000000a700d');
    expect(crc16Modbus(Uint8Array.of(0x01, 0x04, 0x00, 0x00, 0x00, 0x0a))).toBe(0x0d70);
  });
  it('checks the standard "123456789" vector (0x4B37)', () => {
    expect(crc16Modbus(Buffer.from('123456789', 'ascii'))).toBe(0x4b37);
  });
});
