/**
 * Turning Modbus register words into numbers.
 *
 * Word/byte order naming (the letters are the bytes of the value, A most significant):
 * - ABCD: high word first, big-endian bytes in each word (Modbus default, Eastron floats).
 * - CDAB: low word first, big-endian bytes in each word (PZEM 32-bit values, "word swap").
 * - BADC: high word first, bytes swapped inside each word ("byte swap").
 * - DCBA: low word first and bytes swapped: fully little-endian.
 * For 64-bit types the same two rules apply to all four words (CDAB = words in reverse order).
 * For 16-bit types only the byte swap matters (BADC and DCBA swap, ABCD and CDAB do not).
 */
export const REGISTER_TYPES = ['int16', 'uint16', 'int32', 'uint32', 'int64', 'uint64', 'float32', 'float64'] as const;
export type RegisterType = (typeof REGISTER_TYPES)[number];

export const WORD_ORDERS = ['ABCD', 'CDAB', 'BADC', 'DCBA'] as const;
export type WordOrder = (typeof WORD_ORDERS)[number];

export type RegisterFunction = 3 | 4;

/** Registers (16-bit words) each type occupies. */
export const REGISTER_WIDTH: Readonly<Record<RegisterType, 1 | 2 | 4>> = {
  int16: 1,
  uint16: 1,
  int32: 2,
  uint32: 2,
  int64: 4,
  uint64: 4,
  float32: 2,
  float64: 4,
};

export function isFloatType(type: RegisterType): boolean {
  return type === 'float32' || type === 'float64';
}

/** Puts the words in big-endian (ABCD) layout, whatever order the device used. */
function toBigEndianBytes(words: readonly number[], order: WordOrder): Buffer {
  const lowWordFirst = order === 'CDAB' || order === 'DCBA';
  const bytesSwapped = order === 'BADC' || order === 'DCBA';
  const ordered = lowWordFirst ? [...words].reverse() : words;
  const bytes = Buffer.alloc(ordered.length * 2);
  ordered.forEach((word, index) => {
    if (bytesSwapped) bytes.writeUInt16LE(word & 0xffff, index * 2);
    else bytes.writeUInt16BE(word & 0xffff, index * 2);
  });
  return bytes;
}

/**
 * The raw value of a register field, before scale and offset.
 * 64-bit integers are returned as bigint so a bit field or exact value is not lost;
 * callers convert to number at the end (precision above 2^53 is then lost: documented).
 */
export function decodeRaw(words: readonly number[], type: RegisterType, order: WordOrder): number | bigint {
  const width = REGISTER_WIDTH[type];
  if (words.length !== width) {
    throw new Error(`${type} needs ${width} registers, got ${words.length}`);
  }
  const bytes = toBigEndianBytes(words, order);
  switch (type) {
    case 'int16':
      return bytes.readInt16BE(0);
    case 'uint16':
      return bytes.readUInt16BE(0);
    case 'int32':
      return bytes.readInt32BE(0);
    case 'uint32':
      return bytes.readUInt32BE(0);
    case 'int64':
      return bytes.readBigInt64BE(0);
    case 'uint64':
      return bytes.readBigUInt64BE(0);
    case 'float32':
      return bytes.readFloatBE(0);
    case 'float64':
      return bytes.readDoubleBE(0);
  }
}

/**
 * raw * scale + offset, computed so that decimal scales give the number a person
 * would write: 2302 * 0.1 is 230.20000000000002 in floating point, 2302 / 10 is 230.2.
 * When the scale is the reciprocal of an integer we divide by that integer instead.
 */
export function applyScale(raw: number, scale: number, offset = 0): number {
  let value: number;
  if (scale === 1) {
    value = raw;
  } else {
    const divisor = Math.round(1 / scale);
    value = divisor > 1 && Math.abs(1 / divisor - scale) < Number.EPSILON * 4 ? raw / divisor : raw * scale;
  }
  return offset === 0 ? value : value + offset;
}

export interface FieldDecoding {
  type: RegisterType;
  order: WordOrder;
  scale: number;
  offset: number;
  /** Bit number inside an integer value: the result is then 0 or 1. */
  bit?: number;
}

/** Decodes a field's words into its final number. */
export function decodeField(words: readonly number[], field: FieldDecoding): number {
  const raw = decodeRaw(words, field.type, field.order);
  if (field.bit !== undefined) {
    if (typeof raw === 'bigint') return Number((BigInt.asUintN(64, raw) >> BigInt(field.bit)) & 1n);
    // Negative int16/int32 values: look at the two's complement bits as sent.
    const width = REGISTER_WIDTH[field.type] * 16;
    const unsigned = width === 32 ? raw >>> 0 : raw & 0xffff;
    return Math.floor(unsigned / 2 ** field.bit) % 2;
  }
  return applyScale(typeof raw === 'bigint' ? Number(raw) : raw, field.scale, field.offset);
}
