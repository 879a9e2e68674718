/**
 * CRC-16/MODBUS, written for the simulator on its own (table-driven, unlike the
 * connectors' bitwise version) so a mistake in one cannot hide in the other.
 */
const TABLE: Uint16Array = (() => {
  const table = new Uint16Array(256);
  for (let n = 0; n < 256; n++) {
    let value = n;
    for (let k = 0; k < 8; k++) value = value & 1 ? (value >>> 1) ^ 0xa001 : value >>> 1;
    table[n] = value;
  }
  return table;
})();

export function modbusCrc(data: Uint8Array): number {
  let crc = 0xffff;
  for (let i = 0; i < data.length; i++) crc = (crc >>> 8) ^ TABLE[(crc ^ data[i]) & 0xff];
  return crc;
}

/** address + PDU + CRC (low byte first). */
export function rtuFrame(address: number, pdu: Buffer): Buffer {
  const frame = Buffer.alloc(pdu.length + 3);
  frame[0] = address;
  pdu.copy(frame, 1);
  const crc = modbusCrc(frame.subarray(0, frame.length - 2));
  frame[frame.length - 2] = crc & 0xff;
  frame[frame.length - 1] = crc >>> 8;
  return frame;
}

export function crcIsValid(frame: Uint8Array): boolean {
  if (frame.length < 4) return false;
  const crc = modbusCrc(frame.subarray(0, frame.length - 2));
  return frame[frame.length - 2] === (crc & 0xff) && frame[frame.length - 1] === crc >>> 8;
}
