/**
 * Cuts the reply to one RTU request out of the bytes a line delivers.
 *
 * A USB-RS485 adapter hands over what it has received every latency tick (16 ms on an FTDI by
 * default), and a gateway may send a long reply in several TCP segments, so a reply often arrives
 * in pieces. RTU has no length field: the request says how long the answer must be. Bytes before
 * the reply (a late answer to an earlier request, noise after a line turnaround) are skipped.
 */
export class RtuReplyAssembler {
  private received: Buffer = Buffer.alloc(0);

  /** `request` is the whole RTU frame sent: address, function code, data, CRC. */
  constructor(private readonly request: Buffer) {}

  /** Adds bytes from the line; returns the complete reply once it is all there (CRC not checked here). */
  push(chunk: Buffer): Buffer | undefined {
    this.received = this.received.length === 0 ? chunk : Buffer.concat([this.received, chunk]);
    this.skipToReplyStart();
    const length = rtuReplyLength(this.request, this.received);
    if (length === undefined || this.received.length < length) return undefined;
    const reply = Buffer.from(this.received.subarray(0, length));
    this.received = Buffer.alloc(0);
    return reply;
  }

  /** Drops bytes until the buffer starts with this request's address and its function code (or exception). */
  private skipToReplyStart(): void {
    const address = this.request[0];
    const fc = this.request[1];
    let start = 0;
    while (start < this.received.length) {
      // A PZEM asked at the general address 0xF8 may answer with its own address.
      const addressOk = address === PZEM_GENERAL_ADDRESS || this.received[start] === address;
      const next = this.received[start + 1];
      if (addressOk && (next === undefined || next === fc || next === (fc | 0x80))) break;
      start += 1;
    }
    if (start > 0) this.received = this.received.subarray(start);
  }
}

const PZEM_GENERAL_ADDRESS = 0xf8;

/**
 * The full length of the reply to `request`, or undefined while too little has arrived to know it.
 * Lengths come from the request (not from the reply's byte count), so a count byte hit by noise
 * still yields a frame of the expected size, which then fails its CRC instead of waiting for bytes
 * that never come.
 */
export function rtuReplyLength(request: Buffer, received: Buffer): number | undefined {
  if (received.length < 2) return undefined;
  const fc = request[1];
  // Exception: address, fc | 0x80, exception code, CRC.
  if (received[1] === (fc | 0x80)) return 5;
  switch (fc) {
    case 0x01:
    case 0x02:
      // Coils / discrete inputs: address, fc, byte count, ceil(quantity / 8) bytes, CRC.
      return 5 + Math.ceil(request.readUInt16BE(4) / 8);
    case 0x03:
    case 0x04:
      // Holding / input registers: address, fc, byte count, 2 bytes per register, CRC.
      return 5 + 2 * request.readUInt16BE(4);
    case 0x05:
    case 0x06:
    case 0x0f:
    case 0x10:
      // Writes: address, fc, register address, value or quantity, CRC.
      return 8;
    case 0x41:
    case 0x42:
      // PZEM calibration and energy reset: the meter echoes the request.
      return request.length;
    default:
      // A function whose reply length is not known here: whatever has arrived.
      return received.length;
  }
}
