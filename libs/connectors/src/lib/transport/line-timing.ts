import type { SerialLineSettings } from '../config/device-config';

/**
 * Bits per character: start bit + data bits + parity bit (if any) + stop bits.
 * 8N1 = 10 bits; 8N2 or 8E1 = 11 bits.
 */
export function bitsPerCharacter(settings: Pick<SerialLineSettings, 'dataBits' | 'parity' | 'stopBits'>): number {
  return 1 + settings.dataBits + (settings.parity === 'none' ? 0 : 1) + settings.stopBits;
}

export function characterTimeMs(settings: SerialLineSettings): number {
  return (bitsPerCharacter(settings) * 1000) / settings.baudRate;
}

/**
 * The Modbus RTU inter-frame silence t3.5: 3.5 characters up to 19200 baud; above it the
 * specification fixes 1.75 ms (the UART timers of fast lines could not resolve less).
 */
export function interFrameSilenceMs(settings: SerialLineSettings): number {
  if (settings.baudRate > 19200) return 1.75;
  return 3.5 * characterTimeMs(settings);
}

/**
 * Wire time of one RTU transaction: request, t3.5, reply, t3.5.
 * (PZEM-004T at 9600 8N1: 8.33 + 3.65 + 26.04 + 3.65 = 41.7 ms, the PROTOCOLS.md table.)
 * The meter's own processing time comes on top and is not published.
 */
export function transactionWireTimeMs(settings: SerialLineSettings, requestBytes: number, replyBytes: number): number {
  const char = characterTimeMs(settings);
  return (requestBytes + replyBytes) * char + 2 * interFrameSilenceMs(settings);
}
