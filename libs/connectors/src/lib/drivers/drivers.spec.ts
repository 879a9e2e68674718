// The simulator is the drivers' independent counterpart (it encodes its registers from the
// protocol tables on its own); tests start it in-process on loopback.
import { startSimulator, type RunningSimulator } from '@pieng/simulator';
import { validateDeviceConfig } from '../config/validate-device-config';
import { FieldBus } from '../field-bus';
import { RegisterImage } from '../modbus/read-planner';
import { Pzem004tDriver } from './pzem.driver';

function modbusDevice(id: string, config: Record<string, unknown>) {
  const result = validateDeviceConfig('modbus', config);
  if (!result.config) throw new Error(JSON.stringify(result.errors));
  return { id, deviceType: 'modbus' as const, config: result.config, clientId: 1 };
}

describe('Pzem004tDriver.decode (datasheet words)', () => {
  it('decodes the ten input registers, 32-bit values low word first', () => {
    const words = [
      0x08fe, // 2302 x 0.1 V = 230.2 V
      0x03e8,
      0x0000, // current 03E8 0000 -> 0x000003E8 = 1000 x 0.001 A = 1.000 A (datasheet example)
      0x0898,
      0x0000, // power 0x0898 = 2200 x 0.1 W = 220.0 W
      0x0000,
      0x0001, // energy high 0x0001 -> 65536 Wh
      0x01f4, // 500 x 0.1 Hz = 50.0 Hz
      0x005f, // 95 x 0.01 = 0.95
      0xffff, // alarm
    ];
    const driver = new Pzem004tDriver();
    const image = RegisterImage.fromResponses(driver.requests, [words]);
    expect(driver.decode(image)).toEqual({ voltage: 230.2, current: 1, power: 220, energy: 65536, frequency: 50, powerFactor: 0.95, alarm: 1 });
  });
});

describe('drivers against the simulator (Modbus TCP on loopback)', () => {
  let sim: RunningSimulator;
  let bus: FieldBus;
  const at = (driver: string, unitId: number, extra: Record<string, unknown> = {}) =>
    modbusDevice(`${driver}-${unitId}`, { transport: 'tcp', host: '127.0.0.1', port: sim.tcpPort, unitId, driver, timeoutMs: 500, ...extra });

  beforeAll(async () => {
    sim = await startSimulator({
      tcpPort: 0,
      deterministic: true,
      meters: [
        { model: 'pzem004t', slaveId: 1 },
        { model: 'pzem017', slaveId: 2 },
        { model: 'sdm120', slaveId: 3 },
        { model: 'sdm630', slaveId: 4 },
      ],
    });
    bus = new FieldBus();
  });
  afterAll(async () => {
    await bus.close();
    await sim.close();
  });

  it('pzem004t: one FC4 request of 10 registers, exact scaling', async () => {
    sim.setValues(1, { voltage: 230.2, current: 70, power: 23000.5, energy: 123456, frequency: 49.9, powerFactor: 0.87, alarm: 1 });
    const before = sim.receiveLog.length;
    const result = await bus.read(at('pzem004t', 1));
    // voltage 2302 -> 230.2 V
    // current 70000 = 0x0001_1170: words 1170 0001 (low first) -> (1 x 65536 + 4464) / 1000 = 70 A
    // power 230005 = 0x0003_8275: words 8275 0003 -> (3 x 65536 + 33397) / 10 = 23000.5 W
    // energy 123456 = 0x0001_E240: words E240 0001 -> 65536 + 57920 = 123456 Wh
    // frequency 499 / 10 = 49.9 Hz; power factor 87 / 100 = 0.87; alarm FFFF -> 1
    expect(result.metrics).toEqual({ voltage: 230.2, current: 70, power: 23000.5, energy: 123456, frequency: 49.9, powerFactor: 0.87, alarm: 1 });
    expect(result.source).toBe('modbus-tcp');
    const requests = sim.receiveLog.slice(before).filter((e) => e.direction === 'request');
    expect(requests).toHaveLength(1);
    // MBAP (7 bytes) + 04 0000 000A
    expect(requests[0].hex.slice(14)).toBe('040000000a');
  });

  it('pzem017: 8 input registers, 0.01 V / 0.01 A, 32-bit low word first', async () => {
    sim.setValues(2, { voltage: 48.5, current: 10.25, power: 7000.3, energy: 70000, highVoltageAlarm: 1, lowVoltageAlarm: 0 });
    const result = await bus.read(at('pzem017', 2));
    // 4850 / 100 = 48.5 V; 1025 / 100 = 10.25 A
    // power 70003 = 0x0001_1173 -> (65536 + 4467) / 10 = 7000.3 W; energy 70000 = 0x0001_1170 -> 70000 Wh
    expect(result.metrics).toEqual({ voltage: 48.5, current: 10.25, power: 7000.3, energy: 70000, highVoltageAlarm: 1, lowVoltageAlarm: 0, alarm: 1 });
  });

  it('sdm120: float32 ABCD, kWh converted to Wh', async () => {
    sim.setValues(3, {
      voltage: 230.2, // 43 66 33 34 -> 230.19999694824219 (float32)
      current: 2.5, // 40 20 00 00
      power: 575.5, // 44 0F E0 00
      powerFactor: -0.875, // BF 60 00 00 (inductive)
      frequency: 50, // 42 48 00 00
      importEnergy: 1234500, // 1234.5 kWh = 44 9A 50 00 -> x1000 = 1234500 Wh
      exportEnergy: 250, // 0.25 kWh = 3E 80 00 00 -> 250 Wh
      energy: 1234750, // 1234.75 kWh = 44 9A 58 00 -> 1234750 Wh
    });
    const result = await bus.read(at('sdm120', 3));
    const { voltage, ...exact } = result.metrics;
    expect(voltage).toBeCloseTo(230.2, 4);
    expect(exact).toEqual({ current: 2.5, power: 575.5, powerFactor: -0.875, frequency: 50, importEnergy: 1234500, exportEnergy: 250, energy: 1234750 });
  });

  it('sdm630: per-phase values and totals in two requests', async () => {
    sim.setValues(4, {
      voltageL1: 230.5,
      voltageL2: 231.25,
      voltageL3: 229.75, // exact binary fractions
      currentL1: 1.5,
      currentL2: 2.5,
      currentL3: 3.5,
      powerL1: 320,
      powerL2: 540,
      powerL3: 760,
      power: 1620, // total at 0x0034
      powerFactor: 0.9375, // total at 0x003E
      frequency: 49.75,
      importEnergy: 98765500, // 98765.5 kWh
      exportEnergy: 12500, // 12.5 kWh
      energy: 98778000, // 98778 kWh
    });
    const before = sim.receiveLog.length;
    const result = await bus.read(at('sdm630', 4));
    expect(result.metrics).toEqual({
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
      frequency: 49.75,
      importEnergy: 98765500,
      exportEnergy: 12500,
      energy: 98778000,
    });
    const requests = sim.receiveLog
      .slice(before)
      .filter((e) => e.direction === 'request')
      .map((e) => e.hex.slice(14));
    // 04 0000 004C (76 registers) and 04 0156 0002
    expect(requests).toEqual(['040000004c', '0401560002']);
  });

  it('generic: register map with word orders, scale and offset against the same meters', async () => {
    const device = at('generic', 1, {
      maxGap: 0,
      registers: [
        { metric: 'voltage', function: 4, address: 0, type: 'uint16', scale: 0.1 },
        { metric: 'current', function: 4, address: 1, type: 'uint32', order: 'CDAB', scale: 0.001 },
        { metric: 'powerKw', function: 4, address: 3, type: 'uint32', order: 'CDAB', scale: 0.0001 },
        { metric: 'alarmBit', function: 4, address: 9, type: 'uint16', bit: 15 },
        { metric: 'threshold', function: 3, address: 1, type: 'uint16', offset: -300 },
      ],
    });
    sim.setValues(1, { voltage: 230.2, current: 70, power: 23000.5, alarm: 1 });
    const before = sim.receiveLog.length;
    const result = await bus.read(device);
    // power 230005 x 0.0001 = 23.0005 kW; threshold holding 0x0001 = 2300 W default - 300 = 2000
    expect(result.metrics).toEqual({ voltage: 230.2, current: 70, powerKw: 23.0005, alarmBit: 1, threshold: 2000 });
    const requests = sim.receiveLog
      .slice(before)
      .filter((e) => e.direction === 'request')
      .map((e) => e.hex.slice(14));
    // FC3: 0001 x1; FC4: 0..4 contiguous (gap 0), then 9 separately (gap 4 > maxGap 0)
    expect(requests).toEqual(['0300010001', '0400000005', '0400090001']);
  });

  it('generic float32 ABCD reads the Eastron layout', async () => {
    sim.setValues(4, { frequency: 49.75 });
    const device = at('generic', 4, { registers: [{ metric: 'frequency', function: 4, address: 0x46, type: 'float32' }] });
    expect((await bus.read(device)).metrics).toEqual({ frequency: 49.75 });
  });
});
