import { FieldBusError, MODBUS_EXCEPTION_NAMES, hex2 } from '../errors';
import type { FieldDevice } from '../config/device-config';
import { crc16Modbus, withCrc } from '../modbus/crc16';
import { transactionContext, type ModbusLink, type TransactionContext } from '../transport/modbus-link';
import { PZEM004T_HOLDING, PZEM017_HOLDING, PZEM_RESET_ENERGY_FC } from './pzem.driver';

type ModbusDevice = Extract<FieldDevice, { deviceType: 'modbus' }>;

/**
 * The PZEM commands beside reading (energy reset, alarm thresholds, address change), each one
 * transaction on the meter's line, queued with the polls (FieldBus gives the line: \`bus.pzem\`).
 */
export class PzemCommands {
  constructor(private readonly lineOf: (device: ModbusDevice) => ModbusLink) {}

  /**
   * PZEM energy counter reset (function 0x42, a 4-byte frame). Over a serial port it goes
   * through modbus-serial; over an RTU gateway it is written as a raw frame on the socket,
   * because modbus-serial's telnet port silently drops frames under 6 bytes.
   */
  async resetEnergy(device: FieldDevice): Promise<void> {
    const modbus = this.requirePzem(device, 'reset energy');
    const link = this.lineOf(modbus);
    const ctx = transactionContext(modbus.config);
    if (modbus.config.transport === 'rtu-tcp') {
      const frame = withCrc(Uint8Array.of(ctx.unitId, PZEM_RESET_ENERGY_FC));
      const reply = await link.rawRtuTransaction(ctx, frame);
      checkRawReply(reply, frame, ctx, link.label);
      return;
    }
    await link.transaction(ctx, (client) => client.customFunction(PZEM_RESET_ENERGY_FC, []));
  }

  /** PZEM-004T power alarm threshold (holding 0x0001), in W. */
  async readAlarmThreshold(device: FieldDevice): Promise<number> {
    const modbus = this.requirePzem(device, 'read the alarm threshold', ['pzem004t']);
    const reply = await this.lineOf(modbus).transaction(transactionContext(modbus.config), (client) =>
      client.readHoldingRegisters(PZEM004T_HOLDING.alarmThreshold, 1),
    );
    return reply.data[0];
  }

  /** Sets the PZEM-004T power alarm threshold (1 W per unit). */
  async writeAlarmThreshold(device: FieldDevice, watts: number): Promise<void> {
    const modbus = this.requirePzem(device, 'write the alarm threshold', ['pzem004t']);
    if (!Number.isInteger(watts) || watts < 0 || watts > 0xffff) {
      throw new FieldBusError('config', `the alarm threshold must be a whole number of watts from 0 to 65535, got ${watts}`);
    }
    await this.lineOf(modbus).transaction(transactionContext(modbus.config), (client) => client.writeRegister(PZEM004T_HOLDING.alarmThreshold, watts));
  }

  /**
   * Changes a PZEM's Modbus address (holding 0x0002, both models). The caller must then
   * update the device's config to the new address.
   */
  async writeSlaveAddress(device: FieldDevice, address: number): Promise<void> {
    const modbus = this.requirePzem(device, 'change the address');
    if (!Number.isInteger(address) || address < 1 || address > 0xf7) {
      throw new FieldBusError('config', `a PZEM address must be from 1 to 247, got ${address}`);
    }
    await this.lineOf(modbus).transaction(transactionContext(modbus.config), (client) => client.writeRegister(PZEM004T_HOLDING.slaveAddress, address));
  }

  /**
   * PZEM-017 voltage alarm thresholds (holding 0x0000 high, 0x0001 low; 0.01 V per unit), two
   * writes, each confirmed by the meter's echo.
   */
  async writeVoltageThresholds(device: FieldDevice, highVolts: number, lowVolts: number): Promise<void> {
    const modbus = this.requirePzem(device, 'write the voltage thresholds', ['pzem017']);
    const high = Math.round(highVolts * 100);
    const low = Math.round(lowVolts * 100);
    for (const [name, value] of [
      ['high', high],
      ['low', low],
    ] as const) {
      if (!Number.isInteger(value) || value < 0 || value > 0xffff)
        throw new FieldBusError('config', `the ${name}-voltage threshold must be from 0 to 655.35 V`);
    }
    const ctx = transactionContext(modbus.config);
    const link = this.lineOf(modbus);
    await link.transaction(ctx, (client) => client.writeRegister(PZEM017_HOLDING.highVoltageThreshold, high));
    await link.transaction(ctx, (client) => client.writeRegister(PZEM017_HOLDING.lowVoltageThreshold, low));
  }

  private requirePzem(device: FieldDevice, action: string, drivers: readonly string[] = ['pzem004t', 'pzem017']): ModbusDevice {
    if (device.deviceType !== 'modbus' || !drivers.includes(device.config.driver)) {
      const what = device.deviceType === 'modbus' ? `a ${device.config.driver} meter` : `a ${device.deviceType} device`;
      throw new FieldBusError('unsupported', `cannot ${action} on ${what}: only ${drivers.join(' and ')} meters support it`);
    }
    return device;
  }
}

function checkRawReply(reply: Buffer, request: Buffer, ctx: TransactionContext, label: string): void {
  const meter = `meter ${ctx.unitId} on ${label}`;
  if (crc16Modbus(reply.subarray(0, reply.length - 2)) !== reply.readUInt16LE(reply.length - 2)) {
    throw new FieldBusError('corrupt', `${meter} sent a corrupt reply (CRC error)`);
  }
  if (reply[1] & 0x80) {
    const code = reply[2];
    throw new FieldBusError('exception', `Modbus exception ${hex2(code)} (${MODBUS_EXCEPTION_NAMES[code] ?? 'unknown exception'}) from ${meter}`, {
      modbusCode: code,
    });
  }
  if (!reply.equals(request)) throw new FieldBusError('corrupt', `${meter} answered the energy reset with an unexpected frame`);
}
