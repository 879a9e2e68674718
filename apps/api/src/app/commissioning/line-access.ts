import { Injectable } from '@nestjs/common';
import { FieldBus, validateDeviceConfig, type BusDevice, type ModbusDeviceConfig } from '@pieng/connectors';
import { randomUUID } from 'node:crypto';
import { ALL_CLIENTS, type ClientScope } from '../common/client-scope';
import { ForbiddenError, InvalidInputError, type FieldError } from '../common/domain-errors';
import { DeviceReach } from '../devices/device-reach';
import { DeviceSecrets } from '../devices/device-secrets';
import { DevicesService } from '../devices/devices.service';
import type { Device } from '../devices/entities/device.entity';
import { toBusDevice } from '../polling/bus-device';

/** A line as a commissioning job reaches it: a Modbus device at one slave id, not saved anywhere. */
export interface CommissioningLine {
  /** The device FieldBus reads through (its id is the job's own, forgotten afterwards). */
  device: Extract<BusDevice, { deviceType: 'modbus' }>;
  lineKey: string;
}

const renamed = (errors: FieldError[], from: string, to: string) =>
  errors.map((e) => ({ field: e.field.replace(from, to), message: e.message.replace(from, to) }));

/**
 * Who may commission which line: platform staff any line; a client's operator a line within the
 * network and serial-port allow-lists (as for a device's settings) all of whose saved devices are
 * its client's, so that a scan or a write never reaches another client's meters.
 */
@Injectable()
export class LineAccess {
  constructor(
    private readonly bus: FieldBus,
    private readonly devices: DevicesService,
    private readonly reach: DeviceReach,
    private readonly secrets: DeviceSecrets,
  ) {}

  /** Validates `connection` (400 naming `connection.<field>`) with the given unit id, and checks the caller may use the line. */
  async resolve(
    scope: ClientScope,
    connection: Record<string, unknown>,
    unitId: number,
    options: { timeoutMs?: number; field?: string } = {},
  ): Promise<CommissioningLine> {
    const field = options.field ?? 'connection';
    for (const key of ['slaveId', 'unitId']) {
      if (key in connection) throw InvalidInputError.forFields([{ field: `${field}.${key}`, message: `${field}.${key} is not part of a line's connection` }]);
    }
    const transport = connection['transport'];
    const settings: Record<string, unknown> = { driver: 'sdm630', ...connection, ...(transport === 'tcp' ? { unitId } : { slaveId: unitId }) };
    if (options.timeoutMs !== undefined) settings['timeoutMs'] = options.timeoutMs;
    const result = validateDeviceConfig('modbus', settings);
    if (result.errors) throw InvalidInputError.forFields(renamed(result.errors, 'config', field));
    try {
      await this.reach.check(scope, 'modbus', result.config as unknown as Record<string, unknown>);
    } catch (err) {
      if (err instanceof InvalidInputError && err.errors) throw InvalidInputError.forFields(renamed(err.errors, 'config', field));
      throw err;
    }
    const device = {
      id: `commissioning-${randomUUID()}`,
      deviceType: 'modbus' as const,
      config: result.config,
      clientId: scope.clientId,
      heldToPolicy: scope.clientId !== null,
    };
    const lineKey = this.bus.lineKey(device);
    if (scope.clientId !== null) {
      const others = (await this.devicesOnLine(lineKey)).filter((d) => d.clientId !== scope.clientId);
      if (others.length > 0) throw new ForbiddenError('this line carries meters of another client: only platform staff may commission it');
    }
    return { device, lineKey };
  }

  /** The saved Modbus devices (of every client) on a line. */
  async devicesOnLine(lineKey: string): Promise<Array<{ d: Device; config: ModbusDeviceConfig; clientId: number }>> {
    const out: Array<{ d: Device; config: ModbusDeviceConfig; clientId: number }> = [];
    for (const d of await this.devices.list(ALL_CLIENTS)) {
      if (d.deviceType !== 'modbus') continue;
      const converted = toBusDevice(d, this.secrets);
      if (!('device' in converted) || converted.device.deviceType !== 'modbus') continue;
      if (this.bus.lineKey(converted.device) === lineKey) out.push({ d, config: converted.device.config, clientId: d.clientId });
    }
    return out;
  }

  /** A line's device at another slave id. */
  at(line: CommissioningLine, unitId: number): CommissioningLine['device'] {
    const config = line.device.config;
    return { ...line.device, config: (config.transport === 'tcp' ? { ...config, unitId } : { ...config, slaveId: unitId }) as ModbusDeviceConfig };
  }
}

/** The slave id / unit id of a Modbus config. */
export const unitOf = (config: ModbusDeviceConfig) => (config.transport === 'tcp' ? config.unitId : config.slaveId);

/**
 * One job at a time per line within this process: a job's checks and its write happen together, so
 * that two address changes cannot both find the same address free. (Polls and scans still share
 * the line through FieldBus's queue, one Modbus transaction at a time.)
 */
export class LineLocks {
  private readonly tails = new Map<string, Promise<unknown>>();

  async run<T>(lineKey: string, job: () => Promise<T>): Promise<T> {
    const before = this.tails.get(lineKey) ?? Promise.resolve();
    const mine = before.then(job, job);
    const tail = mine.catch(() => undefined);
    this.tails.set(lineKey, tail);
    try {
      return await mine;
    } finally {
      if (this.tails.get(lineKey) === tail) this.tails.delete(lineKey);
    }
  }
}
