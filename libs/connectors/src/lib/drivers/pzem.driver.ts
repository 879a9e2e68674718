import type { RegisterImage, ReadRequest } from '../modbus/read-planner';
import type { MeterDriver, MetricValues } from './meter-driver';

/** Holding registers of the PZEM-004T v3.0. */
export const PZEM004T_HOLDING = { alarmThreshold: 0x0001, slaveAddress: 0x0002 } as const;
/** PZEM custom function code: reset the energy counter. */
export const PZEM_RESET_ENERGY_FC = 0x42;

/** 32-bit PZEM values put the LOW word at the lower address (the opposite of Eastron). */
export function pzemUint32(lowWord: number, highWord: number): number {
  return highWord * 0x10000 + lowWord;
}

/**
 * Peacefair PZEM-004T v3.0 (AC). All ten input registers in one FC4 request:
 * fewer transactions matter more than bytes at 9600 baud.
 */
export class Pzem004tDriver implements MeterDriver {
  readonly name = 'pzem004t';
  readonly requests: readonly ReadRequest[] = [{ function: 4, address: 0x0000, quantity: 10 }];

  decode(image: RegisterImage): MetricValues {
    const w = image.get(4, 0x0000, 10);
    return {
      voltage: w[0] / 10, // 0.1 V
      current: pzemUint32(w[1], w[2]) / 1000, // 0.001 A
      power: pzemUint32(w[3], w[4]) / 10, // 0.1 W
      energy: pzemUint32(w[5], w[6]), // 1 Wh
      frequency: w[7] / 10, // 0.1 Hz
      powerFactor: w[8] / 100, // 0.01
      alarm: w[9] === 0 ? 0 : 1, // 0xFFFF = alarm
    };
  }
}

/** Peacefair PZEM-017 (DC, RS485, 8N2). */
export class Pzem017Driver implements MeterDriver {
  readonly name = 'pzem017';
  readonly requests: readonly ReadRequest[] = [{ function: 4, address: 0x0000, quantity: 8 }];

  decode(image: RegisterImage): MetricValues {
    const w = image.get(4, 0x0000, 8);
    const high = w[6] === 0 ? 0 : 1;
    const low = w[7] === 0 ? 0 : 1;
    return {
      voltage: w[0] / 100, // 0.01 V
      current: w[1] / 100, // 0.01 A
      power: pzemUint32(w[2], w[3]) / 10, // 0.1 W
      energy: pzemUint32(w[4], w[5]), // 1 Wh
      highVoltageAlarm: high,
      lowVoltageAlarm: low,
      alarm: high || low,
    };
  }
}

export const PZEM017_HOLDING = { highVoltageThreshold: 0x0000, lowVoltageThreshold: 0x0001, slaveAddress: 0x0002, shunt: 0x0003 } as const;
