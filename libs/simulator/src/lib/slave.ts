import { EXCEPTION, type SimulatedMeter } from './meters';

/** Misbehaviour a test can switch on per slave id. */
export type SlaveFault = { kind: 'silent' } | { kind: 'exception'; code: number } | { kind: 'bad-crc' } | { kind: 'delay'; ms: number };

/** What a slave does with one request PDU. */
export type SlaveReply = { kind: 'reply'; pdu: Buffer; delayMs?: number } | { kind: 'none' };

export const FC = { readHolding: 0x03, readInput: 0x04, writeSingle: 0x06, calibrate: 0x41, resetEnergy: 0x42 } as const;

export function exceptionPdu(functionCode: number, code: number): Buffer {
  return Buffer.from([functionCode | 0x80, code]);
}

function registersPdu(functionCode: number, words: number[]): Buffer {
  const pdu = Buffer.alloc(2 + words.length * 2);
  pdu[0] = functionCode;
  pdu[1] = words.length * 2;
  words.forEach((word, index) => pdu.writeUInt16BE(word, 2 + index * 2));
  return pdu;
}

/**
 * Executes one request PDU (function code + data, no address/CRC) on a meter and builds
 * the reply PDU, as the meter's firmware would.
 */
export function executePdu(meter: SimulatedMeter, pdu: Buffer, options: { calibrationDelayMs: number }): SlaveReply {
  const fc = pdu[0];
  switch (fc) {
    case FC.readHolding:
    case FC.readInput: {
      if (pdu.length !== 5) return { kind: 'reply', pdu: exceptionPdu(fc, EXCEPTION.illegalValue) };
      const address = pdu.readUInt16BE(1);
      const quantity = pdu.readUInt16BE(3);
      const answer = fc === FC.readInput ? meter.readInput(address, quantity) : meter.readHolding(address, quantity);
      if ('exception' in answer) return { kind: 'reply', pdu: exceptionPdu(fc, answer.exception) };
      return { kind: 'reply', pdu: registersPdu(fc, answer.words) };
    }
    case FC.writeSingle: {
      if (pdu.length !== 5) return { kind: 'reply', pdu: exceptionPdu(fc, EXCEPTION.illegalValue) };
      const result = meter.writeHolding(pdu.readUInt16BE(1), pdu.readUInt16BE(3));
      if ('exception' in result) return { kind: 'reply', pdu: exceptionPdu(fc, result.exception) };
      return { kind: 'reply', pdu: Buffer.from(pdu) }; // echo of the request
    }
    case FC.resetEnergy: {
      if (!meter.supportsEnergyReset) return { kind: 'reply', pdu: exceptionPdu(fc, EXCEPTION.illegalFunction) };
      meter.resetEnergy();
      return { kind: 'reply', pdu: Buffer.from([fc]) };
    }
    case FC.calibrate: {
      // PZEM calibration: password 0x3721, echoed after 3-4 s. The simulator does not recalibrate.
      if (!meter.supportsEnergyReset || pdu.length !== 3 || pdu.readUInt16BE(1) !== 0x3721) {
        return { kind: 'reply', pdu: exceptionPdu(fc, EXCEPTION.illegalValue) };
      }
      return { kind: 'reply', pdu: Buffer.from(pdu), delayMs: options.calibrationDelayMs };
    }
    default:
      return { kind: 'reply', pdu: exceptionPdu(fc, EXCEPTION.illegalFunction) };
  }
}

/**
 * Length of the RTU request frame starting at buf[0] (address + PDU + CRC), or undefined
 * when more bytes are needed. `null` when the function code's length cannot be known.
 */
export function rtuRequestLength(buf: Buffer): number | undefined | null {
  if (buf.length < 2) return undefined;
  switch (buf[1]) {
    case 0x01:
    case 0x02:
    case 0x03:
    case 0x04:
    case 0x05:
    case 0x06:
      return 8;
    case 0x0f:
    case 0x10:
      return buf.length < 7 ? undefined : 9 + buf[6];
    case FC.calibrate:
      return 6;
    case FC.resetEnergy:
      return 4;
    default:
      return null;
  }
}
