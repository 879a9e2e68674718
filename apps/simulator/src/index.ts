/** Programmatic API of the meter simulator (tests and demos start it in-process). */
export { startSimulator, type RunningSimulator, type SimulatorOptions, type SimulatorMeterSpec, type SimulatorLogEntry, type SimulatorLink, type SimulatedLine, type RegisterBlock, lineReplyTimeMs, lineBitsPerCharacter } from './app/simulator';
export { METER_MODELS, type MeterModel, type MeterValues, defaultFixedValues, SimulatedMeter } from './app/meters';
export { type SlaveFault } from './app/slave';
export { modbusCrc, rtuFrame } from './app/crc';
export { startTuyaCloud, type TuyaCloudOptions, type RunningTuyaCloud } from './app/tuya-cloud';
