import type { KnownMetric } from '@pieng/shared';

export const METER_MODELS = ['pzem004t', 'pzem017', 'sdm120', 'sdm630'] as const;
export type MeterModel = (typeof METER_MODELS)[number];

/** Values a simulated meter shows, keyed by the platform's metric names (canonical units). */
export type MeterValues = Partial<Record<KnownMetric, number>>;

/** Register read result: the words, or a Modbus exception code. */
export type RegisterAnswer = { words: number[] } | { exception: number };

export const EXCEPTION = { illegalFunction: 1, illegalAddress: 2, illegalValue: 3, slaveFailure: 4 } as const;

const TAU = 2 * Math.PI;

/**
 * One simulated meter. In live mode its values drift smoothly with time and the energy
 * counter integrates power; once values are fixed (deterministic mode, setValues) it shows
 * exactly those numbers so tests can assert hand-computed results.
 */
export abstract class SimulatedMeter {
  protected fixed: MeterValues | undefined;
  protected energyWh: number;
  protected exportWh = 0;
  private lastTick: number;
  private readonly phase: number;

  constructor(
    readonly model: MeterModel,
    public slaveId: number,
    protected readonly clock: () => number,
    values?: MeterValues,
  ) {
    this.phase = (slaveId * 0.7) % TAU;
    this.energyWh = 1000 + slaveId * 137;
    this.lastTick = clock();
    if (values) this.setValues(values);
  }

  get isFixed(): boolean {
    return this.fixed !== undefined;
  }

  /** Fixes the values shown (merged onto the current ones); energy stops counting. */
  setValues(values: MeterValues): void {
    this.fixed = { ...this.values(), ...values };
  }

  /** Back to smoothly varying values. */
  unfreeze(): void {
    if (this.fixed?.energy !== undefined) this.energyWh = this.fixed.energy;
    this.fixed = undefined;
    this.lastTick = this.clock();
  }

  resetEnergy(): void {
    this.energyWh = 0;
    this.exportWh = 0;
    if (this.fixed) this.fixed = { ...this.fixed, energy: 0, importEnergy: 0, exportEnergy: 0 };
  }

  /** Current values; advancing the energy counter in live mode. */
  values(): MeterValues {
    if (this.fixed) return { ...this.fixed };
    const now = this.clock();
    const seconds = now / 1000;
    const voltage = 230 + 3 * Math.sin((TAU * seconds) / 60 + this.phase);
    const current = 2 + 1.5 * Math.sin((TAU * seconds) / 300 + this.phase);
    const powerFactor = 0.92 + 0.05 * Math.sin((TAU * seconds) / 120 + this.phase);
    const power = voltage * current * powerFactor;
    const frequency = 50 + 0.05 * Math.sin((TAU * seconds) / 45 + this.phase);
    const elapsedHours = Math.max(0, now - this.lastTick) / 3_600_000;
    this.lastTick = now;
    this.energyWh += power * elapsedHours; // only grows: power is positive
    return this.liveValues({ voltage, current, power, powerFactor, frequency, energy: this.energyWh });
  }

  /** Model-specific live values built from the common waveform. */
  protected abstract liveValues(base: Required<Pick<MeterValues, 'voltage' | 'current' | 'power' | 'powerFactor' | 'frequency' | 'energy'>>): MeterValues;

  abstract readInput(address: number, quantity: number): RegisterAnswer;
  abstract readHolding(address: number, quantity: number): RegisterAnswer;
  abstract writeHolding(address: number, value: number): { ok: true } | { exception: number };
  abstract readonly supportsEnergyReset: boolean;
}

const round = (value: number | undefined) => Math.round(value ?? 0);
function low16(value: number): number {
  return value % 0x10000;
}
function high16(value: number): number {
  return Math.floor(value / 0x10000) % 0x10000;
}

function slice(all: number[], address: number, quantity: number): RegisterAnswer {
  if (quantity < 1 || quantity > 125) return { exception: EXCEPTION.illegalValue };
  if (address + quantity > all.length) return { exception: EXCEPTION.illegalAddress };
  return { words: all.slice(address, address + quantity) };
}

/** PZEM-004T v3.0: datasheet register table, 32-bit values low word first. */
export class Pzem004tMeter extends SimulatedMeter {
  readonly supportsEnergyReset = true;
  alarmThresholdW = 2300;

  constructor(slaveId: number, clock: () => number, values?: MeterValues) {
    super('pzem004t', slaveId, clock, values);
  }

  protected liveValues(base: Required<Pick<MeterValues, 'voltage' | 'current' | 'power' | 'powerFactor' | 'frequency' | 'energy'>>): MeterValues {
    return { ...base, alarm: base.power > this.alarmThresholdW ? 1 : 0 };
  }

  registers(): number[] {
    const v = this.values();
    const currentMa = round((v.current ?? 0) * 1000); // 0.001 A per unit
    const powerDw = round((v.power ?? 0) * 10); // 0.1 W per unit
    const energyWh = Math.floor(v.energy ?? 0); // 1 Wh per unit
    return [
      round((v.voltage ?? 0) * 10), // 0x0000 0.1 V
      low16(currentMa), // 0x0001 current low word
      high16(currentMa), // 0x0002 current high word
      low16(powerDw),
      high16(powerDw),
      low16(energyWh),
      high16(energyWh),
      round((v.frequency ?? 0) * 10), // 0x0007 0.1 Hz
      round((v.powerFactor ?? 0) * 100), // 0x0008 0.01
      v.alarm ? 0xffff : 0x0000, // 0x0009
    ];
  }

  readInput(address: number, quantity: number): RegisterAnswer {
    return slice(this.registers(), address, quantity);
  }

  readHolding(address: number, quantity: number): RegisterAnswer {
    // 0x0000 is not documented; 0x0001 threshold, 0x0002 address.
    if (address < 1) return { exception: EXCEPTION.illegalAddress };
    return slice([0, this.alarmThresholdW, this.slaveId], address, quantity);
  }

  writeHolding(address: number, value: number): { ok: true } | { exception: number } {
    if (address === 0x0001) {
      this.alarmThresholdW = value;
      return { ok: true };
    }
    if (address === 0x0002) {
      if (value < 1 || value > 0xf7) return { exception: EXCEPTION.illegalValue };
      this.slaveId = value;
      return { ok: true };
    }
    return { exception: EXCEPTION.illegalAddress };
  }
}

/** PZEM-017 (DC): voltage 0.01 V, current 0.01 A, power 0.1 W and energy 1 Wh low word first. */
export class Pzem017Meter extends SimulatedMeter {
  readonly supportsEnergyReset = true;
  highVoltageThreshold = 30000; // 300.00 V
  lowVoltageThreshold = 700; // 7.00 V
  shunt = 0;

  constructor(slaveId: number, clock: () => number, values?: MeterValues) {
    super('pzem017', slaveId, clock, values);
  }

  protected liveValues(base: Required<Pick<MeterValues, 'voltage' | 'current' | 'power' | 'powerFactor' | 'frequency' | 'energy'>>): MeterValues {
    // A 48 V battery bank instead of the mains waveform.
    const voltage = 48 + (base.voltage - 230) / 3;
    const current = base.current * 4;
    return { voltage, current, power: voltage * current, energy: base.energy, highVoltageAlarm: 0, lowVoltageAlarm: 0 };
  }

  readInput(address: number, quantity: number): RegisterAnswer {
    const v = this.values();
    const powerDw = round((v.power ?? 0) * 10);
    const energyWh = Math.floor(v.energy ?? 0);
    const all = [
      round((v.voltage ?? 0) * 100),
      round((v.current ?? 0) * 100),
      low16(powerDw),
      high16(powerDw),
      low16(energyWh),
      high16(energyWh),
      v.highVoltageAlarm ? 0xffff : 0,
      v.lowVoltageAlarm ? 0xffff : 0,
    ];
    return slice(all, address, quantity);
  }

  readHolding(address: number, quantity: number): RegisterAnswer {
    return slice([this.highVoltageThreshold, this.lowVoltageThreshold, this.slaveId, this.shunt], address, quantity);
  }

  writeHolding(address: number, value: number): { ok: true } | { exception: number } {
    switch (address) {
      case 0:
        this.highVoltageThreshold = value;
        return { ok: true };
      case 1:
        this.lowVoltageThreshold = value;
        return { ok: true };
      case 2:
        if (value < 1 || value > 0xf7) return { exception: EXCEPTION.illegalValue };
        this.slaveId = value;
        return { ok: true };
      case 3:
        if (value > 3) return { exception: EXCEPTION.illegalValue };
        this.shunt = value;
        return { ok: true };
      default:
        return { exception: EXCEPTION.illegalAddress };
    }
  }
}

/**
 * Eastron SDM120/SDM630: IEEE-754 float32, high word first (ABCD), address = number - 30001.
 * Unlisted addresses inside the meter's input register range read as 0.0.
 */
export class EastronMeter extends SimulatedMeter {
  readonly supportsEnergyReset = false;
  /** Highest input register address + 1 (the range ends after 30343/30344 and a few more). */
  private static readonly INPUT_RANGE_END = 0x0180;
  static readonly MAX_QUANTITY = 80;

  constructor(model: 'sdm120' | 'sdm630', slaveId: number, clock: () => number, values?: MeterValues) {
    super(model, slaveId, clock, values);
  }

  protected liveValues(base: Required<Pick<MeterValues, 'voltage' | 'current' | 'power' | 'powerFactor' | 'frequency' | 'energy'>>): MeterValues {
    if (this.model === 'sdm120') {
      return { ...base, importEnergy: base.energy, exportEnergy: 0 };
    }
    const voltageL2 = base.voltage - 1.2;
    const voltageL3 = base.voltage + 0.8;
    const currentL2 = base.current * 0.8;
    const currentL3 = base.current * 1.1;
    const powerL1 = base.voltage * base.current * base.powerFactor;
    const powerL2 = voltageL2 * currentL2 * base.powerFactor;
    const powerL3 = voltageL3 * currentL3 * base.powerFactor;
    return {
      voltageL1: base.voltage,
      voltageL2,
      voltageL3,
      currentL1: base.current,
      currentL2,
      currentL3,
      powerL1,
      powerL2,
      powerL3,
      power: powerL1 + powerL2 + powerL3,
      powerFactor: base.powerFactor,
      frequency: base.frequency,
      importEnergy: base.energy * 3,
      exportEnergy: 0,
      energy: base.energy * 3,
    };
  }

  /** The float at each register address, kWh for energies. */
  private floats(): Map<number, number> {
    const v = this.values();
    const kwh = (wh: number | undefined) => (wh ?? 0) / 1000;
    const map = new Map<number, number>();
    if (this.model === 'sdm120') {
      map.set(30001, v.voltage ?? 0);
      map.set(30007, v.current ?? 0);
      map.set(30013, v.power ?? 0);
      map.set(30031, v.powerFactor ?? 0);
    } else {
      map.set(30001, v.voltageL1 ?? 0);
      map.set(30003, v.voltageL2 ?? 0);
      map.set(30005, v.voltageL3 ?? 0);
      map.set(30007, v.currentL1 ?? 0);
      map.set(30009, v.currentL2 ?? 0);
      map.set(30011, v.currentL3 ?? 0);
      map.set(30013, v.powerL1 ?? 0);
      map.set(30015, v.powerL2 ?? 0);
      map.set(30017, v.powerL3 ?? 0);
      map.set(30031, v.powerFactor ?? 0); // phase 1 PF: the simulator shows the total's value
      map.set(30053, v.power ?? 0);
      map.set(30063, v.powerFactor ?? 0);
    }
    map.set(30071, v.frequency ?? 0);
    map.set(30073, kwh(v.importEnergy));
    map.set(30075, kwh(v.exportEnergy));
    map.set(30343, kwh(v.energy));
    // register number -> address
    const byAddress = new Map<number, number>();
    for (const [registerNumber, value] of map) byAddress.set(registerNumber - 30001, value);
    return byAddress;
  }

  readInput(address: number, quantity: number): RegisterAnswer {
    if (quantity < 1 || quantity > EastronMeter.MAX_QUANTITY) return { exception: EXCEPTION.illegalValue };
    // Half a float cannot be read.
    if (address % 2 !== 0 || quantity % 2 !== 0) return { exception: EXCEPTION.illegalAddress };
    if (address + quantity > EastronMeter.INPUT_RANGE_END) return { exception: EXCEPTION.illegalAddress };
    const floats = this.floats();
    const bytes = Buffer.alloc(quantity * 2);
    for (let offset = 0; offset < quantity; offset += 2) {
      bytes.writeFloatBE(floats.get(address + offset) ?? 0, offset * 2);
    }
    const words: number[] = [];
    for (let i = 0; i < quantity; i++) words.push(bytes.readUInt16BE(i * 2));
    return { words };
  }

  readHolding(): RegisterAnswer {
    return { exception: EXCEPTION.illegalAddress };
  }

  writeHolding(): { ok: true } | { exception: number } {
    return { exception: EXCEPTION.illegalAddress };
  }
}

export function createMeter(model: MeterModel, slaveId: number, clock: () => number, values?: MeterValues): SimulatedMeter {
  switch (model) {
    case 'pzem004t':
      return new Pzem004tMeter(slaveId, clock, values);
    case 'pzem017':
      return new Pzem017Meter(slaveId, clock, values);
    case 'sdm120':
    case 'sdm630':
      return new EastronMeter(model, slaveId, clock, values);
  }
}

/** Plausible fixed values for deterministic mode (chosen to be exact in every encoding). */
export function defaultFixedValues(model: MeterModel): MeterValues {
  switch (model) {
    case 'pzem004t':
      return { voltage: 230.2, current: 1, power: 207.2, energy: 12345, frequency: 50, powerFactor: 0.9, alarm: 0 };
    case 'pzem017':
      return { voltage: 48.5, current: 10.25, power: 497.1, energy: 70000, highVoltageAlarm: 0, lowVoltageAlarm: 0 };
    case 'sdm120':
      return { voltage: 230.5, current: 2.5, power: 540.25, powerFactor: 0.9375, frequency: 50, importEnergy: 1234500, exportEnergy: 0, energy: 1234500 };
    case 'sdm630':
      return {
        voltageL1: 230.5,
        voltageL2: 231.25,
        voltageL3: 229.75,
        currentL1: 1.5,
        currentL2: 2.5,
        currentL3: 3.5,
        powerL1: 320,
        powerL2: 540,
        powerL3: 760,
        power: 1620,
        powerFactor: 0.9375,
        frequency: 50,
        importEnergy: 98765500, // Wh; 98765.5 kWh is exact in float32
        exportEnergy: 12500,
        energy: 98778000,
      };
  }
}
