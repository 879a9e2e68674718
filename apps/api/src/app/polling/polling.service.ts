import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown, OnModuleDestroy, Optional } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { FieldBus, FieldBusError, nextPollDelayMs, readingSource, type BusDevice, type ReadResult } from '@pieng/connectors';
import { AuditTrailService } from '../audit/audit-trail.service';
import { ALL_CLIENTS, ClientScope } from '../common/client-scope';
import { InsufficientStorageError, MeterTimeoutError, MeterUnreachableError, UnprocessableError } from '../common/domain-errors';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { DevicesService } from '../devices/devices.service';
import type { Device } from '../devices/entities/device.entity';
import { DeviceLineWarnings } from '../devices/line-warnings';
import { IngestService } from '../ingest/ingest.service';
import { PlantMetrics } from '../observability/plant-metrics';
import { toBusDevice } from './bus-device';
import { PollingLeases } from './polling-leases';
import { checkDeviceConfig, keepWriteOnlySecrets } from '../devices/device-config';
import { TestReadDto, TestReadResponse } from './dto/test-read.dto';
import { metricUnit } from '@pieng/shared';
import { randomUUID } from 'node:crypto';

/** How often the scheduler looks for due reads. */
export const POLL_TICK_MS = 250;
/** How long the device list is cached between two reloads from the database. */
export const DEVICE_RELOAD_MS = 1000;

interface PollState {
  device: Device;
  bus: BusDevice | null;
  /** Why the stored config cannot be read (should not happen: configs are validated on write). */
  configError?: string;
  nextDueAt: number;
  running: boolean;
  failures: number;
  /** The last reading could not be stored for lack of disk space (logged once until one is stored again). */
  storageRefused?: boolean;
}

export interface PollOutcome extends ReadResult {
  deviceId: number;
  ts: number;
}

const isPolled = (d: Device) => d.active && (d.deviceType === 'modbus' || d.deviceType === 'tuya');
const label = (d: Device) => `Meter "${d.name}" (device ${d.id})`;
const seconds = (ms: number) =>
  ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : ms < 120_000 ? `${Math.round(ms / 1000)} s` : ms < 7_200_000 ? `${Math.round(ms / 60_000)} min` : `${Math.round(ms / 3_600_000)} h`;

/** A FieldBus failure as the HTTP answer of a manual read: 504 for a timeout, 502 otherwise. */
export function meterError(err: unknown): Error {
  const message = err instanceof Error ? err.message : String(err);
  if (err instanceof FieldBusError && err.kind === 'timeout') return new MeterTimeoutError(message);
  if (err instanceof FieldBusError && err.kind === 'config') return new UnprocessableError(message);
  return new MeterUnreachableError(message);
}

/**
 * Reads every active Modbus / Tuya device at its poll interval. A tick every 250 ms (an
 * interval registered with @nestjs/schedule's SchedulerRegistry, only when polling is on)
 * starts the reads that are due (never two of one device at once); FieldBus queues per line, so
 * reads on different lines run in parallel. Readings go through IngestService like every
 * other reading; failures back off exponentially (nextPollDelayMs) without blocking others.
 */
const POLLING_JOB = 'meter-polling';

@Injectable()
export class PollingService implements OnApplicationBootstrap, OnModuleDestroy, OnApplicationShutdown {
  private readonly logger = new Logger('Polling');
  private readonly states = new Map<number, PollState>();
  private readonly inFlight = new Set<Promise<void>>();
  /** Tuya devices whose interval is stretched to fit the project's monthly call quota, with the reason. */
  private readonly quotaNotes = new Map<number, string>();
  private loadedAt = 0;
  /** Local time until which the leases from the last reload cover reads (no read starts after it). */
  private heldUntil = 0;
  private reloading?: Promise<void>;
  private stopped = false;
  /** When the scheduler last ticked (epoch ms), for /api/health; null until the first tick or with polling off. */
  lastTickAt: number | null = null;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly bus: FieldBus,
    private readonly devices: DevicesService,
    private readonly ingestService: IngestService,
    private readonly lineWarnings: DeviceLineWarnings,
    private readonly scheduler: SchedulerRegistry,
    private readonly audit: AuditTrailService,
    private readonly leases: PollingLeases,
    @Optional() private readonly plantMetrics?: PlantMetrics,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.config.enablePolling) {
      this.logger.log('Polling is switched off (ENABLE_POLLING=false); meters are read only on request');
      return;
    }
    this.scheduler.addInterval(POLLING_JOB, setInterval(() => void this.tick(), POLL_TICK_MS));
    void this.tick();
  }

  /** Stops the ticks and lets the reads in progress finish before the database closes. */
  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    if (this.scheduler.doesExist('interval', POLLING_JOB)) this.scheduler.deleteInterval(POLLING_JOB);
    await this.reloading?.catch(() => undefined);
    await Promise.allSettled([...this.inFlight]);
    // Gives the devices back at once, so that another instance on the same database takes over without waiting for expiry.
    if (this.config.enablePolling) await this.leases.releaseAll().catch((err) => this.logger.warn(`Could not release the polling leases: ${(err as Error).message}`));
  }

  async onApplicationShutdown(): Promise<void> {
    await this.bus.close();
  }

  /** The line warning of a device (from the last reload), or null. */
  lineWarningFor(deviceId: number): string | null {
    return this.lineWarnings.get(deviceId);
  }

  /** One scheduler step: reload the devices if the cache is old, start every due read. */
  async tick(now = Date.now()): Promise<void> {
    if (this.stopped) return;
    this.lastTickAt = Date.now();
    try {
      if (now - this.loadedAt >= DEVICE_RELOAD_MS) {
        this.reloading ??= this.reload().finally(() => (this.reloading = undefined));
        await this.reloading;
      }
    } catch (err) {
      this.logger.error(`Could not load the devices to poll: ${(err as Error).message}`);
      return;
    }
    if (this.stopped) return;
    // Leases not renewed in time (database unreachable or slow): stop reading before another instance may take over.
    if (Date.now() >= this.heldUntil) return;
    for (const state of this.states.values()) {
      if (!state.running && Date.now() >= state.nextDueAt) this.start(state);
    }
  }

  /**
   * Reloads the active devices and syncs the leases: this instance reads only the devices whose
   * lease it holds (all of them when it is alone on its database, its fair share when several
   * instances share one PostgreSQL database).
   */
  private async reload(): Promise<void> {
    const all = (await this.devices.list(ALL_CLIENTS)).filter(isPolled).map((d) => {
      const converted = toBusDevice(d);
      const bus = 'device' in converted ? converted.device : null;
      return { d, bus, configError: 'error' in converted ? converted.error : undefined, unit: this.unitOf(d, bus) };
    });
    const units = new Map(all.map((e) => [e.d.id, e.unit]));
    const busy = new Set([...this.states.values()].filter((s) => s.running).map((s) => units.get(s.device.id) ?? ''));
    const lease = await this.leases.sync([...new Set(units.values())], busy);
    this.loadedAt = Date.now();
    this.heldUntil = lease.validUntil;
    const seen = new Set<number>();
    for (const { d, bus, configError, unit } of all) {
      if (!lease.held.has(unit)) continue;
      seen.add(d.id);
      const state = this.states.get(d.id);
      if (!state) {
        // Taken over from another instance that read it lately: keep its rhythm rather than read twice in one interval.
        const due = lease.takenOver.has(unit) && d.lastSeenAt !== null ? d.lastSeenAt + d.pollIntervalSec * 1000 : 0;
        this.states.set(d.id, { device: d, bus, configError, nextDueAt: Math.max(Date.now(), due), running: false, failures: d.consecutiveFailures });
        continue;
      }
      // A shorter interval set through the API takes effect now rather than after the old one.
      if (state.failures === 0 && d.pollIntervalSec < state.device.pollIntervalSec) {
        state.nextDueAt = Math.min(state.nextDueAt, Date.now() + d.pollIntervalSec * 1000);
      }
      Object.assign(state, { device: d, bus, configError });
    }
    for (const id of [...this.states.keys()]) if (!seen.has(id)) this.states.delete(id);
    this.updateLineWarnings(all);
  }

  /**
   * The lease a device is polled under: its serial line or RTU gateway when it has one (one instance
   * owns the wire and its queue), else the device alone (Modbus TCP, Tuya).
   */
  private unitOf(d: Device, bus: BusDevice | null): string {
    return this.leases.unitOf(d, bus);
  }

  /** Line warnings over every active device (not only those read here), so every instance shows the same. */
  private updateLineWarnings(all: Array<{ d: Device; bus: BusDevice | null }>): void {
    const warnings = new Map<number, string>();
    try {
      const entries = all.filter((e) => e.bus !== null).map((e) => ({ device: e.bus as BusDevice, pollIntervalMs: e.d.pollIntervalSec * 1000 }));
      for (const report of this.bus.lineSchedules(entries).values()) {
        if (report.fits || !report.message) continue;
        for (const timing of report.devices) warnings.set(Number(timing.id), report.message);
      }
      for (const [id, note] of this.quotaNotes) if (this.states.has(id)) warnings.set(id, note);
    } catch (err) {
      this.logger.warn(`Could not check the line schedules: ${(err as Error).message}`);
    }
    this.lineWarnings.replace(warnings);
  }

  private start(state: PollState): void {
    state.running = true;
    const run = this.pollScheduled(state).finally(() => {
      state.running = false;
      this.inFlight.delete(run);
    });
    this.inFlight.add(run);
  }

  private async pollScheduled(state: PollState): Promise<void> {
    const d = state.device;
    const intervalMs = d.pollIntervalSec * 1000;
    const startedAt = Date.now();
    try {
      if (!state.bus) throw new FieldBusError('config', state.configError ?? 'invalid config');
      await this.readAndStore(d.id, state.bus);
      state.storageRefused = false;
      if (state.failures > 0) this.logger.log(`${label(d)} is answering again after ${state.failures} failed poll${state.failures === 1 ? '' : 's'}`);
      state.failures = 0;
      state.nextDueAt = startedAt + (d.deviceType === 'tuya' ? this.tuyaIntervalMs(d, state.bus, intervalMs) : intervalMs);
    } catch (err) {
      if (err instanceof InsufficientStorageError) return this.storageRefused(state, err, startedAt + intervalMs);
      const message = err instanceof Error ? err.message : String(err);
      let failures = state.failures + 1;
      try {
        const updated = await this.devices.recordPollFailure(d.id, message);
        if (updated) failures = updated.consecutiveFailures;
      } catch (dbErr) {
        this.logger.error(`Could not record the failed poll of device ${d.id}: ${(dbErr as Error).message}`);
      }
      const delay = nextPollDelayMs(intervalMs, failures);
      if (state.failures === 0) this.logger.warn(`${label(d)} stopped answering: ${message}. Polling it again in ${seconds(delay)}`);
      else this.logger.debug(`${label(d)} still not answering (${failures} failures in a row): ${message}`);
      state.failures = failures;
      state.nextDueAt = Date.now() + delay;
    }
  }

  /**
   * Tuya bills every call against a monthly quota: the interval stretches so that the quota
   * lasts to the month's end, and the device status says so (a warning below 20 % left).
   */
  private tuyaIntervalMs(d: Device, bus: BusDevice, intervalMs: number): number {
    const budget = this.bus.tuyaBudget(bus, intervalMs);
    const note = budget.warning ?? (budget.stretched ? `Polled every ${seconds(budget.effectivePollIntervalMs)} instead of ${seconds(intervalMs)} so that the Tuya project's monthly calls last` : undefined);
    if (note && this.quotaNotes.get(d.id) !== note) this.logger.warn(`${label(d)}: ${note}`);
    if (note) this.quotaNotes.set(d.id, note);
    else this.quotaNotes.delete(d.id);
    return budget.effectivePollIntervalMs;
  }

  /**
   * The meter answered but its reading could not be stored (a full disk): not the meter's fault, so
   * no back-off and nothing recorded on the device; said once per device, and read again at its
   * next regular poll.
   */
  private storageRefused(state: PollState, err: InsufficientStorageError, nextDueAt: number): void {
    if (!state.storageRefused) this.logger.warn(`${label(state.device)}: reading not stored: ${err.message}. Polling goes on; readings are stored again once space is freed`);
    state.storageRefused = true;
    state.nextDueAt = nextDueAt;
  }

  /** Reads through the bus, stores the reading (audited, alarms) and records the success. */
  private async readAndStore(deviceId: number, device: BusDevice): Promise<PollOutcome> {
    const result = this.plantMetrics ? await this.plantMetrics.timePoll(device, () => this.bus.read(device)) : await this.bus.read(device);
    const ts = Date.now();
    await this.ingestService.ingest([{ deviceId, ts, metrics: result.metrics }], ALL_CLIENTS, result.source);
    await this.devices.recordPollSuccess(deviceId, ts);
    return { deviceId, ts, ...result };
  }

  /** POST /devices/:id/poll: one read now, on the same bus and line queue as the scheduler. */
  async pollNow(scope: ClientScope, id: number): Promise<PollOutcome> {
    const d = await this.devices.get(scope, id);
    if (d.deviceType === 'api') throw new UnprocessableError('this device pushes its own readings; nothing to poll');
    const converted = toBusDevice(d);
    if ('error' in converted) throw new UnprocessableError(converted.error);
    const state = this.states.get(id);
    try {
      const outcome = await this.readAndStore(id, converted.device);
      if (state) state.failures = 0;
      return outcome;
    } catch (err) {
      if (err instanceof FieldBusError) {
        const updated = await this.devices.recordPollFailure(id, err.message);
        if (state && updated) state.failures = updated.consecutiveFailures;
        throw meterError(err);
      }
      throw err;
    }
  }

  /**
   * POST /devices/:id/reset-energy: PZEM-004T / PZEM-017 energy counter back to 0. The energy
   * readings drop to 0 from here on, so the audit trail records who did it and when: without
   * that line, the drop would look like a meter fault or a tampered series.
   */
  async resetEnergy(scope: ClientScope, id: number, actor: string): Promise<void> {
    const d = await this.devices.get(scope, id);
    const driver = d.deviceType === 'modbus' ? d.config['driver'] : undefined;
    if (driver !== 'pzem004t' && driver !== 'pzem017') {
      throw new UnprocessableError('only PZEM-004T and PZEM-017 meters have an energy counter that can be reset');
    }
    const converted = toBusDevice(d);
    if ('error' in converted) throw new UnprocessableError(converted.error);
    // A reset the audit trail could not record would leave the drop to 0 unexplained: not while it refuses.
    this.audit.assertAccepting();
    try {
      await this.bus.resetEnergy(converted.device);
    } catch (err) {
      throw err instanceof FieldBusError ? meterError(err) : err;
    }
    await this.audit.record([{ ts: new Date().toISOString(), deviceId: d.id, deviceUid: d.uid, source: readingSource(converted.device), metrics: {}, event: 'energy-reset', actor }]);
    this.logger.log(`${label(d)}: energy counter reset by ${actor}`);
  }

  /**
   * POST /devices/test-read: one read of settings not saved yet, validated as on creation, on the same bus and
   * line queue as polling. Nothing is stored and no device's state changes.
   */
  async testRead(scope: ClientScope, dto: TestReadDto): Promise<TestReadResponse> {
    let config = dto.config;
    if (dto.deviceId !== undefined) {
      const stored = await this.devices.get(scope, dto.deviceId);
      config = keepWriteOnlySecrets(stored.config, config);
    }
    const checked = checkDeviceConfig(dto.deviceType, config);
    // A generic register map may name the unit of each of its metrics.
    const registers = Array.isArray(checked['registers']) ? (checked['registers'] as { metric?: unknown; unit?: unknown }[]) : [];
    const registerUnits = new Map(registers.filter((r) => typeof r.unit === 'string').map((r) => [String(r.metric), r.unit as string]));
    const id = `test-read-${randomUUID()}`;
    const device = { id, deviceType: dto.deviceType, config: checked } as unknown as BusDevice;
    try {
      const result = await this.bus.read(device);
      return {
        source: result.source,
        durationMs: result.durationMs,
        metrics: Object.entries(result.metrics).map(([metric, value]) => ({ metric, value, unit: registerUnits.get(metric) || metricUnit(metric) || null })),
      };
    } catch (err) {
      throw err instanceof FieldBusError ? meterError(err) : err;
    } finally {
      this.bus.forget(id);
    }
  }
}
