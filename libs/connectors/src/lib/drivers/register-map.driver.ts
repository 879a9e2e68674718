import type { RegisterMapEntry } from '../config/device-config';
import { ReadPlanner, type ReadPlanOptions, type ReadRequest, type RegisterImage } from '../modbus/read-planner';
import { REGISTER_WIDTH, decodeField } from '../modbus/register-codec';
import type { MeterDriver, MetricValues } from './meter-driver';

/**
 * A driver defined by a register map: the generic driver, and the Eastron meters
 * (whose maps are fixed). The read plan is computed once.
 */
export class RegisterMapDriver implements MeterDriver {
  readonly requests: readonly ReadRequest[];

  constructor(
    readonly name: string,
    readonly entries: readonly RegisterMapEntry[],
    planOptions: ReadPlanOptions = {},
  ) {
    this.requests = new ReadPlanner(planOptions).plan(
      entries.map((entry) => ({ function: entry.function, address: entry.address, quantity: REGISTER_WIDTH[entry.type] })),
    );
  }

  decode(image: RegisterImage): MetricValues {
    const values: MetricValues = {};
    for (const entry of this.entries) {
      const words = image.get(entry.function, entry.address, REGISTER_WIDTH[entry.type]);
      values[entry.metric] = decodeField(words, entry);
    }
    return values;
  }
}

function sdmFloat(metric: string, address: number, scale = 1): RegisterMapEntry {
  return { metric, function: 4, address, type: 'float32', order: 'ABCD', scale, offset: 0 };
}

/** kWh registers are reported in Wh, the platform's energy unit. */
const KWH_TO_WH = 1000;

/** Eastron SDM120 input registers (register number - 30001), only those PROTOCOLS.md lists. */
export const SDM120_REGISTERS: readonly RegisterMapEntry[] = [
  sdmFloat('voltage', 0x0000),
  sdmFloat('current', 0x0006),
  sdmFloat('power', 0x000c),
  sdmFloat('powerFactor', 0x001e),
  sdmFloat('frequency', 0x0046),
  sdmFloat('importEnergy', 0x0048, KWH_TO_WH),
  sdmFloat('exportEnergy', 0x004a, KWH_TO_WH),
  sdmFloat('energy', 0x0156, KWH_TO_WH),
];

/** Eastron SDM630: per-phase values plus totals (total power `power`, total PF `powerFactor`). */
export const SDM630_REGISTERS: readonly RegisterMapEntry[] = [
  sdmFloat('voltageL1', 0x0000),
  sdmFloat('voltageL2', 0x0002),
  sdmFloat('voltageL3', 0x0004),
  sdmFloat('currentL1', 0x0006),
  sdmFloat('currentL2', 0x0008),
  sdmFloat('currentL3', 0x000a),
  sdmFloat('powerL1', 0x000c),
  sdmFloat('powerL2', 0x000e),
  sdmFloat('powerL3', 0x0010),
  sdmFloat('power', 0x0034),
  sdmFloat('powerFactor', 0x003e),
  sdmFloat('frequency', 0x0046),
  sdmFloat('importEnergy', 0x0048, KWH_TO_WH),
  sdmFloat('exportEnergy', 0x004a, KWH_TO_WH),
  sdmFloat('energy', 0x0156, KWH_TO_WH),
];

/**
 * Eastron limits: at most 80 registers per request, even start and count (a float is
 * never split: every entry starts at an even address and is two registers long, so
 * merged requests stay even). The default gap lets 0x0000..0x004B be one request;
 * registers read through in the gaps are real Eastron registers.
 */
export const SDM_PLAN_DEFAULTS = { maxRegistersPerRequest: 80, maxGap: 40 } as const;

export function createSdmDriver(model: 'sdm120' | 'sdm630', options: ReadPlanOptions = {}): RegisterMapDriver {
  return new RegisterMapDriver(model, model === 'sdm120' ? SDM120_REGISTERS : SDM630_REGISTERS, {
    maxRegistersPerRequest: options.maxRegistersPerRequest ?? SDM_PLAN_DEFAULTS.maxRegistersPerRequest,
    maxGap: options.maxGap ?? SDM_PLAN_DEFAULTS.maxGap,
  });
}
