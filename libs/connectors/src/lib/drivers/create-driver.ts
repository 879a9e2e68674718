import type { ModbusDeviceConfig } from '../config/device-config';
import type { MeterDriver } from './meter-driver';
import { Pzem004tDriver, Pzem017Driver } from './pzem.driver';
import { RegisterMapDriver, createSdmDriver } from './register-map.driver';

/** The driver for a validated Modbus config. */
export function createMeterDriver(config: Pick<ModbusDeviceConfig, 'driver' | 'registers' | 'maxGap' | 'maxRegistersPerRequest'>): MeterDriver {
  switch (config.driver) {
    case 'pzem004t':
      return new Pzem004tDriver();
    case 'pzem017':
      return new Pzem017Driver();
    case 'sdm120':
    case 'sdm630':
      return createSdmDriver(config.driver, { maxGap: config.maxGap, maxRegistersPerRequest: config.maxRegistersPerRequest });
    case 'generic':
      if (!config.registers || config.registers.length === 0) throw new Error('the generic driver needs a register map');
      return new RegisterMapDriver('generic', config.registers, {
        maxGap: config.maxGap,
        maxRegistersPerRequest: config.maxRegistersPerRequest,
      });
  }
}
