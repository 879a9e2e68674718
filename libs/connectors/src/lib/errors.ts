/** Why a field operation failed; the API can map kinds to device statuses. */
export type FieldBusErrorKind =
  | 'timeout' // the meter did not answer
  | 'exception' // the meter answered with a Modbus exception
  | 'corrupt' // CRC error or malformed reply
  | 'link-down' // the port or socket could not be opened
  | 'config' // settings that cannot work (conflicting line settings, unknown driver)
  | 'unsupported' // operation not available for this meter or transport
  | 'cloud'; // Tuya cloud error

/** An Error whose message is written for the user and names the meter's link. */
export class FieldBusError extends Error {
  constructor(
    readonly kind: FieldBusErrorKind,
    message: string,
    readonly details: {
      lineKey?: string;
      modbusCode?: number;
      cloudCode?: number;
      /** The message without the text a remote peer wrote (a cloud's `msg`), for when that peer is not known to be Tuya's. */
      withoutPeerText?: string;
    } = {},
  ) {
    super(message);
    this.name = 'FieldBusError';
  }
}

export const MODBUS_EXCEPTION_NAMES: Readonly<Record<number, string>> = {
  1: 'illegal function',
  2: 'illegal data address',
  3: 'illegal data value',
  4: 'slave device failure',
  5: 'acknowledge',
  6: 'slave device busy',
  8: 'memory parity error',
  10: 'gateway path unavailable',
  11: 'gateway target device failed to respond',
};

export function hex2(value: number): string {
  return value.toString(16).toUpperCase().padStart(2, '0');
}
