import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { ReadingSource } from '@pieng/shared';
import { tuyaBaseUrl, type FieldDevice, type ModbusDeviceConfig } from './config/device-config';
import { createMeterDriver } from './drivers/create-driver';
import type { MeterDriver, MetricValues } from './drivers/meter-driver';
import { PzemCommands } from './drivers/pzem-commands';
import type { ProbeOutcome, ScanProbe } from './commissioning/line-scan';
import { FieldBusError } from './errors';
import { planLineSchedule, type LineScheduleReport, type ScheduledLineDevice } from './scheduling/line-schedule';
import { RegisterImage } from './modbus/read-planner';
import { ModbusLink, linkKeyOf, transactionContext, type FieldBusLogger, type LinkEndpoint } from './transport/modbus-link';
import { TuyaAccount } from './tuya/tuya-account';
import { tuyaPollBudget, type TuyaBudget } from './tuya/tuya-budget';
import { mapTuyaStatus } from './tuya/tuya-metrics';
import { PlantNetwork, isDocumentedTuyaEndpoint, type PlantNetworkPolicy } from './network/plant-network';
import type { HostLookup } from './network/network-list';

export interface FieldBusOptions {
  logger?: FieldBusLogger;
  /** First delay before reopening a port/socket that failed to open (default 500 ms, doubling). */
  reconnectBaseMs?: number;
  /** Longest delay between reopen attempts (default 30 s). */
  reconnectMaxMs?: number;
  /** How often a TCP link that cannot be opened is probed with a bare connect (default 1 s; 0: never). */
  linkProbeIntervalMs?: number;
  /** Tuya: fetch implementation and clock (tests). */
  fetch?: typeof fetch;
  now?: () => number;
  /** Tuya reads arriving within this window share one batch status call (default 25 ms). */
  tuyaBatchWindowMs?: number;
  /**
   * What devices whose settings a client's user chose (`heldToPolicy`) may reach at connect time
   * (default: DEFAULT_PLANT_NETWORK_POLICY); `lookup` resolves host names (tests).
   */
  plantNetwork?: PlantNetworkPolicy;
  lookup?: HostLookup;
}

export interface ReadResult {
  metrics: MetricValues;
  source: Extract<ReadingSource, 'modbus-rtu' | 'modbus-tcp' | 'tuya' | 'simulator'>;
  durationMs: number;
}

/** Any device FieldBus can reach (Modbus or Tuya), with a validated config. */
export type BusDevice = FieldDevice;
type ModbusDevice = Extract<FieldDevice, { deviceType: 'modbus' }>;

/** What a device's readings are tagged with: the simulator's never pass for a meter's. */
export function readingSource(device: BusDevice): ReadResult['source'] {
  if (device.config.simulated) return 'simulator';
  if (device.deviceType === 'tuya') return 'tuya';
  return device.config.transport === 'tcp' ? 'modbus-tcp' : 'modbus-rtu';
}

/**
 * FieldBus: owns every physical link (pooled by port path or host:port+transport) and the
 * Tuya cloud clients. The API creates one and calls close() on shutdown; nothing here is
 * module-level state, so tests can run several side by side.
 */
export class FieldBus {
  private readonly links = new Map<string, ModbusLink>();
  private readonly drivers = new Map<string, { signature: string; driver: MeterDriver }>();
  private readonly tuyaAccounts = new Map<string, TuyaAccount>();
  private readonly plantNetwork: PlantNetwork;
  private readonly reachableListeners = new Set<(lineKey: string) => void>();
  private closed = false;
  /** PZEM energy reset, alarm thresholds and address change, on the meter's line. */
  readonly pzem = new PzemCommands((device) => this.linkFor(device));

  constructor(private readonly options: FieldBusOptions = {}) {
    this.plantNetwork = new PlantNetwork(options.plantNetwork, options.lookup);
  }

  /**
   * Key of the physical link a device talks over: devices with the same key share a queue. For
   * Tuya, the account: base URL, access id, client and a hash of the secret.
   */
  lineKey(device: BusDevice): string {
    if (device.deviceType === 'tuya') return tuyaAccountKey(device);
    return linkKeyOf(endpointOf(device.config));
  }

  /** The driver a Modbus device uses (its requests feed the line schedule). */
  driverFor(device: ModbusDevice): MeterDriver {
    const { driver, registers, maxGap, maxRegistersPerRequest } = device.config;
    const signature = JSON.stringify([driver, registers, maxGap, maxRegistersPerRequest]);
    const cached = this.drivers.get(device.id);
    if (cached && cached.signature === signature) return cached.driver;
    const created = createMeterDriver(device.config);
    this.drivers.set(device.id, { signature, driver: created });
    return created;
  }

  /** One reading. Throws FieldBusError (an Error) whose message names the meter and its link. */
  async read(device: BusDevice): Promise<ReadResult> {
    const started = performance.now();
    if (device.deviceType === 'tuya') {
      const account = this.useTuyaAccount(device);
      const status = await account.status(device.config.tuyaDeviceId);
      const metrics = mapTuyaStatus(status, device.config.scales);
      if (Object.keys(metrics).length === 0) {
        throw new FieldBusError('cloud', `Tuya device ${device.config.tuyaDeviceId} reported none of cur_voltage, cur_current, cur_power, add_ele`);
      }
      return { metrics, source: readingSource(device), durationMs: performance.now() - started };
    }
    if (device.deviceType !== 'modbus')
      throw new FieldBusError('unsupported', `devices of type ${(device as { deviceType: string }).deviceType} are not polled`);
    const driver = this.driverFor(device);
    const link = this.linkFor(device);
    const ctx = transactionContext(device.config);
    const responses: number[][] = [];
    // Sequential and stopping at the first failure: a dead meter costs its line one timeout.
    for (const request of driver.requests) {
      const reply = await link.transaction(ctx, (client) =>
        request.function === 3 ? client.readHoldingRegisters(request.address, request.quantity) : client.readInputRegisters(request.address, request.quantity),
      );
      responses.push(reply.data);
    }
    let metrics: MetricValues;
    try {
      metrics = driver.decode(RegisterImage.fromResponses(driver.requests, responses));
    } catch (error) {
      throw new FieldBusError('corrupt', `meter ${ctx.unitId} on ${link.label} sent a reply that cannot be decoded: ${(error as Error).message}`, {
        lineKey: link.key,
      });
    }
    return { metrics, source: readingSource(device), durationMs: performance.now() - started };
  }

  /**
   * One read of `count` registers at the device's unit id, through its line queue (one transaction
   * like a poll's): the words, or a FieldBusError (an exception, a timeout).
   */
  async readRegisters(device: BusDevice, fn: 3 | 4, address: number, count: number): Promise<number[]> {
    if (device.deviceType !== 'modbus') throw new FieldBusError('unsupported', 'only Modbus devices have registers');
    // A scan probes with short timeouts (100-300 ms); opening a gateway socket may take longer than one answer.
    const ctx = { ...transactionContext(device.config), openTimeoutMs: Math.max(device.config.timeoutMs, 2000) };
    const reply = await this.linkFor(device).transaction(ctx, (client) =>
      fn === 3 ? client.readHoldingRegisters(address, count) : client.readInputRegisters(address, count),
    );
    return reply.data;
  }

  /**
   * A line-scan probe of one slave id: one read through the line's queue, so that it never collides
   * with a poll. An answer with registers or with a Modbus exception means a device is there; a
   * silence means none; a line that cannot be opened throws.
   */
  async probe(device: BusDevice, probe: ScanProbe): Promise<ProbeOutcome> {
    try {
      await this.readRegisters(device, probe.function, probe.address, probe.count);
      return { answered: 'registers' };
    } catch (error) {
      if (!(error instanceof FieldBusError)) throw error;
      if (error.kind === 'exception' && error.details.modbusCode !== undefined) return { answered: 'exception', exceptionCode: error.details.modbusCode };
      // A garbled reply (two slaves at one id, noise) is no device the scan can offer to add.
      if (error.kind === 'timeout' || error.kind === 'corrupt') return { answered: 'none' };
      throw error;
    }
  }

  /**
   * Quota view for a Tuya device: the poll interval stretched so the project's monthly
   * calls last, and a warning below 20 % left. Counts the calls this FieldBus made this
   * month plus `callsUsedElsewhere` (e.g. persisted across restarts by the caller).
   */
  tuyaBudget(device: BusDevice, pollIntervalMs: number, callsUsedElsewhere = 0): TuyaBudget {
    if (device.deviceType !== 'tuya') throw new FieldBusError('unsupported', 'the call budget applies to Tuya devices only');
    const account = this.tuyaAccount(device);
    account.devices.add(device.config.tuyaDeviceId);
    const now = (this.options.now ?? Date.now)();
    return tuyaPollBudget({
      monthlyQuota: device.config.monthlyCallQuota,
      callsUsed: account.client.callsThisMonth(now) + callsUsedElsewhere,
      now,
      pollIntervalMs,
      // Conservative: assume every device of the project polls on its own (no batching).
      callsPerPoll: account.devices.size,
    });
  }

  /**
   * Wire-time check per serial line / RTU gateway: groups the devices by link and reports
   * whether their poll intervals fit (see planLineSchedule). Modbus TCP and Tuya are skipped.
   */
  lineSchedules(devices: ReadonlyArray<{ device: BusDevice; pollIntervalMs: number }>): Map<string, LineScheduleReport> {
    const groups = new Map<string, { endpoint: Extract<LinkEndpoint, { serial: unknown }>; members: ScheduledLineDevice[] }>();
    for (const { device, pollIntervalMs } of devices) {
      if (device.deviceType !== 'modbus') continue;
      const endpoint = endpointOf(device.config);
      if (endpoint.kind === 'tcp') continue;
      const key = linkKeyOf(endpoint);
      const group = groups.get(key) ?? { endpoint, members: [] };
      group.members.push({ id: device.id, pollIntervalMs, requests: this.driverFor(device).requests });
      groups.set(key, group);
    }
    const reports = new Map<string, LineScheduleReport>();
    for (const [key, group] of groups) {
      const label = group.endpoint.kind === 'rtu' ? group.endpoint.path : `${group.endpoint.host}:${group.endpoint.port}`;
      reports.set(key, planLineSchedule(group.endpoint.serial, group.members, label));
    }
    return reports;
  }

  /**
   * Calls `listener` with the line key (see lineKey) of a TCP link that could not be opened and
   * accepts connections again, e.g. to read its meters at once. Returns the unsubscribe function.
   */
  onLinkReachable(listener: (lineKey: string) => void): () => void {
    this.reachableListeners.add(listener);
    return () => this.reachableListeners.delete(listener);
  }

  /**
   * Drops what the bus remembers of a device (its driver, its place among a line's users, and a
   * Tuya account nobody else reads through), e.g. after a one-off test read.
   */
  forget(deviceId: string): void {
    this.drivers.delete(deviceId);
    for (const link of this.links.values()) link.users.delete(deviceId);
    this.leaveTuyaAccounts(deviceId);
  }

  /** Takes a device out of the Tuya accounts it read through (except `keep`); an account nobody reads through any more is closed. */
  private leaveTuyaAccounts(deviceId: string, keep?: TuyaAccount): void {
    for (const [key, account] of this.tuyaAccounts) {
      if (account === keep || !account.users.delete(deviceId) || account.users.size > 0) continue;
      this.tuyaAccounts.delete(key);
      account.close();
    }
  }

  /** Closes one link (e.g. after its serial settings were edited); it reopens on demand. */
  async closeLine(lineKey: string): Promise<void> {
    const link = this.links.get(lineKey);
    if (!link) return;
    this.links.delete(lineKey);
    await link.close();
  }

  async close(): Promise<void> {
    this.closed = true;
    const links = [...this.links.values()];
    this.links.clear();
    this.tuyaAccounts.forEach((account) => account.close());
    this.tuyaAccounts.clear();
    await Promise.all(links.map((link) => link.close()));
  }

  private linkFor(device: ModbusDevice): ModbusLink {
    if (this.closed) throw new FieldBusError('link-down', 'the field bus is closed');
    const endpoint = endpointOf(device.config);
    const key = linkKeyOf(endpoint);
    let link = this.links.get(key);
    if (link && link.endpoint.kind !== 'tcp') {
      const wanted = new ModbusLink(endpoint, this.linkOptions()).settingsSignature;
      if (wanted !== link.settingsSignature) {
        const others = [...link.users].filter((id) => id !== device.id);
        if (others.length > 0) {
          throw new FieldBusError(
            'config',
            `${link.label} is already in use at ${link.settingsSignature} by other meters; device ${device.id} asks for ${wanted}. All meters on one line need the same serial settings.`,
            { lineKey: key },
          );
        }
        // The only user changed its settings: reopen the line with the new ones.
        const old = link;
        this.links.delete(key);
        void old.close();
        link = undefined;
      }
    }
    if (!link) {
      link = new ModbusLink(endpoint, this.linkOptions());
      this.links.set(key, link);
    }
    if (device.heldToPolicy) link.holdToPolicy();
    link.users.add(device.id);
    return link;
  }

  private linkOptions() {
    return {
      logger: this.options.logger,
      reconnectBaseMs: this.options.reconnectBaseMs ?? 500,
      reconnectMaxMs: this.options.reconnectMaxMs ?? 30_000,
      resolveHeldHost: (host: string) => this.plantNetwork.resolveModbusHost(host),
      probeIntervalMs: this.options.linkProbeIntervalMs ?? 1000,
      onReachable: (lineKey: string) => this.reachableListeners.forEach((listener) => listener(lineKey)),
    };
  }

  /** The account a device reads through now; after a change of its secret or access id it leaves the old one. */
  private useTuyaAccount(device: Extract<BusDevice, { deviceType: 'tuya' }>): TuyaAccount {
    const account = this.tuyaAccount(device);
    if (!account.users.has(device.id)) {
      this.leaveTuyaAccounts(device.id, account);
      account.users.add(device.id);
    }
    return account;
  }

  private tuyaAccount(device: Extract<BusDevice, { deviceType: 'tuya' }>): TuyaAccount {
    const key = tuyaAccountKey(device);
    let account = this.tuyaAccounts.get(key);
    if (!account) {
      account = new TuyaAccount(device.config, this.options, this.options.tuyaBatchWindowMs ?? 25);
      this.tuyaAccounts.set(key, account);
    }
    return account;
  }
}

/** The Tuya account a device reads through: base URL, access id, client, and a SHA-256 of the secret (never the secret itself). */
function tuyaAccountKey(device: Extract<BusDevice, { deviceType: 'tuya' }>): string {
  const secretHash = createHash('sha256').update(device.config.accessSecret).digest('hex');
  return `tuya:${tuyaBaseUrl(device.config)}:${device.config.accessId}:client-${device.clientId ?? 'staff'}:${secretHash}`;
}

/** Where a device is, in the words a client user sees: host:port, serial port, or cloud host. */
function placeOf(device: BusDevice): string {
  if (device.deviceType === 'tuya') {
    try {
      return new URL(tuyaBaseUrl(device.config)).host;
    } catch {
      return 'the Tuya cloud';
    }
  }
  return device.config.transport === 'rtu' ? device.config.port : `${device.config.host}:${device.config.port}`;
}

/**
 * A read's failure as a user of a client may see it. A link that refuses, one that stays silent
 * and one that cannot be opened give one and the same answer (a timeout), so that a device's
 * settings cannot be used to map the plant network; a reply that cannot be read says only that;
 * a cloud that is not one of Tuya's own data centres never has its words passed on. Platform
 * staff get the detailed error.
 */
export function errorForClientUser(error: FieldBusError, device: BusDevice): FieldBusError {
  const place = placeOf(device);
  switch (error.kind) {
    case 'timeout':
    case 'link-down':
      return new FieldBusError('timeout', `the meter at ${place} did not answer`);
    case 'corrupt':
      return new FieldBusError('corrupt', `the meter at ${place} sent a reply that could not be read; check the meter model, its address and the register map`);
    case 'cloud':
      if (device.deviceType === 'tuya' && !isDocumentedTuyaEndpoint(tuyaBaseUrl(device.config)) && error.details.withoutPeerText) {
        return new FieldBusError('cloud', error.details.withoutPeerText, { cloudCode: error.details.cloudCode });
      }
      return error;
    default:
      return error;
  }
}

export function endpointOf(config: ModbusDeviceConfig): LinkEndpoint {
  switch (config.transport) {
    case 'rtu':
      return { kind: 'rtu', path: config.port, serial: pickSerial(config) };
    case 'tcp':
      return { kind: 'tcp', host: config.host, port: config.port };
    case 'rtu-tcp':
      return { kind: 'rtu-tcp', host: config.host, port: config.port, serial: pickSerial(config) };
  }
}

function pickSerial(config: Extract<ModbusDeviceConfig, { baudRate: unknown }>) {
  return { baudRate: config.baudRate, parity: config.parity, dataBits: config.dataBits, stopBits: config.stopBits };
}
