import { Injectable, Logger } from '@nestjs/common';
import { FieldBus, FieldBusError, errorForClientUser, rankLayouts, readingSource, type BusDevice, type DetectionBlock } from '@pieng/connectors';
import { defaultMetricRange } from '@pieng/shared';
import { AuditTrailService } from '../audit/audit-trail.service';
import type { ClientScope } from '../common/client-scope';
import { ConflictError, InvalidInputError, UnprocessableError, type FieldError } from '../common/domain-errors';
import { DeviceSecrets } from '../devices/device-secrets';
import { DevicesService } from '../devices/devices.service';
import type { Device } from '../devices/entities/device.entity';
import { toBusDevice } from '../polling/bus-device';
import { meterError } from '../polling/polling.service';
import type { DetectLayoutDto, DetectLayoutResponse } from './dto/detect-layout.dto';
import type { PzemAddressResponse, PzemAlarmThresholdDto, PzemAlarmThresholdResponse } from './dto/pzem-commands.dto';
import { LineAccess, LineLocks, unitOf } from './line-access';

/** The PZEM general address: every PZEM on a line answers it (PROTOCOLS.md). */
const PZEM_GENERAL_ADDRESS = 0xf8;

/** Registers read per block: enough for a float64; fewer where the meter has no more (exception 02/03). */
const BLOCK_WORDS = [4, 2, 1] as const;

/**
 * Register-layout detection and the PZEM commissioning commands (address, alarm thresholds). Every
 * read and write goes through FieldBus, on the line's queue, like a poll.
 */
@Injectable()
export class CommissioningService {
  private readonly logger = new Logger('Commissioning');
  private readonly lineLocks = new LineLocks();

  constructor(
    private readonly bus: FieldBus,
    private readonly access: LineAccess,
    private readonly devices: DevicesService,
    private readonly secrets: DeviceSecrets,
    private readonly audit: AuditTrailService,
  ) {}

  async detectLayout(scope: ClientScope, dto: DetectLayoutDto): Promise<DetectLayoutResponse> {
    const tcp = dto.connection['transport'] === 'tcp';
    const unitField = tcp ? 'unitId' : 'slaveId';
    const unitId = tcp ? dto.unitId : dto.slaveId;
    if (unitId === undefined) throw InvalidInputError.forFields([{ field: unitField, message: `${unitField} is required for this transport` }]);
    const ranges = this.rangesFor(dto);
    const line = await this.access.resolve(scope, dto.connection, unitId);
    const blocks: Array<DetectionBlock & { function: number; address: number }> = [];
    try {
      for (const register of dto.registers) {
        const words = await this.readBlock(scope, line.device, register.function, register.address, dto.registers.indexOf(register));
        blocks.push({ metric: register.metric, words, declaredType: register.type, function: register.function, address: register.address });
      }
    } finally {
      this.bus.forget(line.device.id);
    }
    const ranked = rankLayouts(blocks, ranges);
    return {
      registers: blocks.map((block, i) => ({
        metric: block.metric,
        function: block.function,
        address: block.address,
        words: [...block.words],
        range: [...ranked[i].range],
        candidates: ranked[i].candidates,
      })),
    };
  }

  /** Each register's expected range: `expect` over the metric's default; 400 naming the field when neither gives one. */
  private rangesFor(dto: DetectLayoutDto): Array<readonly [number, number]> {
    const errors: FieldError[] = [];
    for (const [metric, range] of Object.entries(dto.expect ?? {})) {
      const ok = Array.isArray(range) && range.length === 2 && range.every((n) => typeof n === 'number' && Number.isFinite(n)) && range[0] <= range[1];
      if (!ok) errors.push({ field: `expect.${metric}`, message: `expect.${metric} must be [min, max], two finite numbers with min <= max` });
    }
    const ranges = dto.registers.map((r, i) => {
      const range = dto.expect?.[r.metric] ?? defaultMetricRange(r.metric);
      if (!range)
        errors.push({
          field: `registers[${i}].metric`,
          message: `registers[${i}].metric ${r.metric} has no default range: give expect.${r.metric} as [min, max]`,
        });
      return (range ?? [0, 0]) as readonly [number, number];
    });
    if (errors.length > 0) throw InvalidInputError.forFields(errors);
    return ranges;
  }

  /** One block: 4 words, else 2, else 1 when the meter refuses to read that far (exception 02 or 03). */
  private async readBlock(scope: ClientScope, device: BusDevice, fn: 3 | 4, address: number, index: number): Promise<number[]> {
    let last: FieldBusError | undefined;
    for (const count of BLOCK_WORDS) {
      try {
        return await this.bus.readRegisters(device, fn, address, count);
      } catch (err) {
        if (!(err instanceof FieldBusError)) throw err;
        if (err.kind !== 'exception' || (err.details.modbusCode !== 2 && err.details.modbusCode !== 3)) throw failure(scope, err, device);
        last = err;
      }
    }
    throw new UnprocessableError(`registers[${index}]: the meter has no register at ${fn === 3 ? 'holding' : 'input'} address ${address} (${last?.message})`);
  }

  /**
   * POST /devices/:id/pzem/address: the new address must be free on the line (no saved device at it,
   * no meter answering it); the meter's echo confirms the write, then the device's config follows
   * and the audit trail records who did it (readings after it come from the same meter at a new address).
   * When the echo is lost or garbled the meter may have taken the address all the same: it is asked
   * at the new address, and the device follows it only if it answers there (`confirmedBy: probe`).
   * One address change at a time per line, so that two changes cannot both find an address free.
   */
  async changePzemAddress(scope: ClientScope, id: number, newAddress: number | null | undefined, actor: string): Promise<PzemAddressResponse> {
    const d = await this.devices.get(scope, id);
    if (newAddress === undefined || newAddress === null)
      throw InvalidInputError.forFields([{ field: 'newAddress', message: 'newAddress is required (1-247)' }]);
    const device = this.pzemDevice(d);
    const lineKey = this.bus.lineKey(device);
    return this.lineLocks.run(lineKey, async () => {
      const from = unitOf(device.config);
      if (from === newAddress) throw new ConflictError(`the meter is already at address ${newAddress}`);
      const onLine = (await this.access.devicesOnLine(lineKey)).filter((other) => other.d.id !== d.id);
      // A write to the general address reaches every meter on the line: all of them would move.
      if (from === PZEM_GENERAL_ADDRESS && onLine.length > 0) {
        throw new ConflictError(
          `the meter is at the general address 0xF8, which every meter on this line answers: a write there would readdress all ${onLine.length + 1} of them; give it its own address alone on the line first`,
        );
      }
      const taken = onLine.find((other) => unitOf(other.config) === newAddress);
      if (taken) {
        const whose = scope.clientId === null || taken.clientId === scope.clientId ? `device ${taken.d.id} ("${taken.d.name}")` : 'another meter';
        throw new ConflictError(`newAddress ${newAddress} is taken on this line by ${whose}`);
      }
      if ((await this.answersAt(scope, device, newAddress)) !== 'none')
        throw new ConflictError(`newAddress ${newAddress} is taken: a meter on this line answers at it`);
      this.audit.assertAccepting();
      let confirmedBy: PzemAddressResponse['confirmedBy'] = 'echo';
      try {
        await this.bus.pzem.writeSlaveAddress(device, newAddress);
      } catch (err) {
        const lostEcho = err instanceof FieldBusError && (err.kind === 'timeout' || err.kind === 'corrupt');
        if (!lostEcho || (await this.answersAt(scope, device, newAddress)) !== 'registers') throw failure(scope, err, device);
        confirmedBy = 'probe';
      }
      const config = { ...this.secrets.open(d), slaveId: newAddress };
      await this.devices.update(scope, id, { config });
      await this.audit.record([
        {
          ts: new Date().toISOString(),
          deviceId: d.id,
          deviceUid: d.uid,
          source: readingSource(device),
          metrics: {},
          event: 'pzem-address-changed',
          actor,
          extra: { from, to: newAddress, confirmedBy },
        },
      ]);
      this.logger.log(
        `Meter "${d.name}" (device ${d.id}): PZEM address ${from} -> ${newAddress} by ${actor} (confirmed by ${confirmedBy === 'echo' ? "the meter's echo" : 'a read at the new address'})`,
      );
      return { deviceId: d.id, from, to: newAddress, confirmedBy };
    });
  }

  /** Whether a meter on the device's line answers at `address` (one input-register read). */
  private async answersAt(scope: ClientScope, device: BusDevice & { deviceType: 'modbus' }, address: number): Promise<'none' | 'registers' | 'exception'> {
    const probeDevice = { ...device, id: `${device.id}-address-check`, config: { ...device.config, slaveId: address } } as typeof device;
    try {
      return (await this.bus.probe(probeDevice, { function: 4, address: 0, count: 1 })).answered;
    } catch (err) {
      throw failure(scope, err, device);
    } finally {
      this.bus.forget(probeDevice.id);
    }
  }

  /** POST /devices/:id/pzem/alarm-threshold: PZEM-004T {watts}; PZEM-017 {highVolts, lowVolts}. Audited. */
  async setPzemAlarmThreshold(scope: ClientScope, id: number, dto: PzemAlarmThresholdDto, actor: string): Promise<PzemAlarmThresholdResponse> {
    const d = await this.devices.get(scope, id);
    const device = this.pzemDevice(d);
    const driver = device.config.driver;
    const errors: FieldError[] = [];
    if (driver === 'pzem004t') {
      if (dto.watts === undefined) errors.push({ field: 'watts', message: 'watts is required for a PZEM-004T' });
      for (const field of ['highVolts', 'lowVolts'] as const)
        if (dto[field] !== undefined) errors.push({ field, message: `${field} is for a PZEM-017; a PZEM-004T takes watts` });
    } else {
      for (const field of ['highVolts', 'lowVolts'] as const)
        if (dto[field] === undefined) errors.push({ field, message: `${field} is required for a PZEM-017` });
      if (dto.watts !== undefined) errors.push({ field: 'watts', message: 'watts is for a PZEM-004T; a PZEM-017 takes highVolts and lowVolts' });
      if (dto.highVolts !== undefined && dto.lowVolts !== undefined && dto.lowVolts >= dto.highVolts)
        errors.push({ field: 'lowVolts', message: 'lowVolts must be below highVolts' });
    }
    if (errors.length > 0) throw InvalidInputError.forFields(errors);
    this.audit.assertAccepting();
    try {
      if (driver === 'pzem004t') await this.bus.pzem.writeAlarmThreshold(device, dto.watts as number);
      else await this.bus.pzem.writeVoltageThresholds(device, dto.highVolts as number, dto.lowVolts as number);
    } catch (err) {
      throw failure(scope, err, device);
    }
    const written = driver === 'pzem004t' ? { watts: dto.watts } : { highVolts: dto.highVolts, lowVolts: dto.lowVolts };
    await this.audit.record([
      {
        ts: new Date().toISOString(),
        deviceId: d.id,
        deviceUid: d.uid,
        source: readingSource(device),
        metrics: {},
        event: 'pzem-alarm-threshold',
        actor,
        extra: written,
      },
    ]);
    return { deviceId: d.id, ...written };
  }

  private pzemDevice(d: Device) {
    const converted = toBusDevice(d, this.secrets);
    if ('error' in converted) throw new UnprocessableError(converted.error);
    const device = converted.device;
    if (device.deviceType !== 'modbus' || (device.config.driver !== 'pzem004t' && device.config.driver !== 'pzem017')) {
      throw new UnprocessableError('only PZEM-004T and PZEM-017 meters take these commands');
    }
    if (device.config.transport === 'tcp') throw new UnprocessableError('a PZEM is reached over RS485 (rtu or rtu-tcp), not Modbus TCP');
    return device;
  }
}

/** A field-bus failure as the caller's answer (504 timeout, 502 otherwise), in the words a client's user may see. */
function failure(scope: ClientScope, err: unknown, device: BusDevice): unknown {
  if (!(err instanceof FieldBusError)) return err;
  return meterError(scope.clientId === null ? err : errorForClientUser(err, device));
}
