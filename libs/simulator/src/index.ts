/** The meter simulator's core: Modbus meters on TCP, RTU over TCP and serial lines, and a Tuya-compatible cloud (tests and the simulator app start it in-process). */
export {
  startSimulator,
  type RunningSimulator,
  type SimulatorOptions,
  type SimulatorMeterSpec,
  type SimulatorLogEntry,
  type SimulatorLink,
  type SimulatedLine,
  type RegisterBlock,
  lineReplyTimeMs,
  lineBitsPerCharacter,
} from './lib/simulator';
export { METER_MODELS, type MeterModel, type MeterValues, defaultFixedValues, SimulatedMeter } from './lib/meters';
export { type SlaveFault } from './lib/slave';
export { modbusCrc, rtuFrame } from './lib/crc';
export { startTuyaCloud, type TuyaCloudOptions, type RunningTuyaCloud } from './lib/tuya-cloud';
export { startPtyCable, type PtyCable } from './lib/pty-cable';
