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
