/**
 * Metric names and their canonical units. Every driver, the API and the web
 * console speak these names; a reading's metrics are keyed by them.
 */
export const METRICS = {
  voltage: { unit: 'V', label: 'Voltage' },
  current: { unit: 'A', label: 'Current' },
  power: { unit: 'W', label: 'Active power' },
  energy: { unit: 'Wh', label: 'Active energy' },
  frequency: { unit: 'Hz', label: 'Frequency' },
  powerFactor: { unit: '', label: 'Power factor' },
  apparentPower: { unit: 'VA', label: 'Apparent power' },
  reactivePower: { unit: 'var', label: 'Reactive power' },
  alarm: { unit: '', label: 'Meter alarm (0/1)' },
  voltageL1: { unit: 'V', label: 'Voltage L1-N' },
  voltageL2: { unit: 'V', label: 'Voltage L2-N' },
  voltageL3: { unit: 'V', label: 'Voltage L3-N' },
  currentL1: { unit: 'A', label: 'Current L1' },
  currentL2: { unit: 'A', label: 'Current L2' },
  currentL3: { unit: 'A', label: 'Current L3' },
  powerL1: { unit: 'W', label: 'Active power L1' },
  powerL2: { unit: 'W', label: 'Active power L2' },
  powerL3: { unit: 'W', label: 'Active power L3' },
  importEnergy: { unit: 'Wh', label: 'Import active energy' },
  exportEnergy: { unit: 'Wh', label: 'Export active energy' },
  highVoltageAlarm: { unit: '', label: 'High-voltage alarm (0/1)' },
  lowVoltageAlarm: { unit: '', label: 'Low-voltage alarm (0/1)' },
} as const;

export type KnownMetric = keyof typeof METRICS;

/** Metric names are free-form for generic register maps, but must look like an identifier. */
export const METRIC_NAME_PATTERN = /^[A-Za-z][A-Za-z0-9_.]{0,63}$/;

export function metricUnit(metric: string): string | undefined {
  return (METRICS as Record<string, { unit: string }>)[metric]?.unit;
}

/**
 * Plausible ranges per metric in its canonical unit, used by register-layout detection to tell a
 * right decoding from a wrong one (a float read as int32 lands far outside). Deliberately wide:
 * they must hold for any meter of a plant (mains phase-to-neutral 80-300 V, 45-65 Hz grids); the
 * caller narrows them (`expect`) when it knows more, e.g. the energy shown on the meter's display.
 */
export const DEFAULT_METRIC_RANGES: Readonly<Record<KnownMetric, readonly [number, number]>> = {
  voltage: [80, 300],
  voltageL1: [80, 300],
  voltageL2: [80, 300],
  voltageL3: [80, 300],
  current: [0, 2000],
  currentL1: [0, 2000],
  currentL2: [0, 2000],
  currentL3: [0, 2000],
  power: [-2_000_000, 2_000_000],
  powerL1: [-700_000, 700_000],
  powerL2: [-700_000, 700_000],
  powerL3: [-700_000, 700_000],
  apparentPower: [0, 2_000_000],
  reactivePower: [-2_000_000, 2_000_000],
  energy: [0, 1e12],
  importEnergy: [0, 1e12],
  exportEnergy: [0, 1e12],
  frequency: [45, 65],
  powerFactor: [-1, 1],
  alarm: [0, 1],
  highVoltageAlarm: [0, 1],
  lowVoltageAlarm: [0, 1],
};

/** The default expected range of a metric, or undefined for a metric the platform does not know. */
export function defaultMetricRange(metric: string): readonly [number, number] | undefined {
  return (DEFAULT_METRIC_RANGES as Record<string, readonly [number, number]>)[metric];
}
