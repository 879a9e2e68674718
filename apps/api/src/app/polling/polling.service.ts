import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown, OnModuleDestroy, Optional } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import {
  FieldBus,
  FieldBusError,
  errorForClientUser,
  firstPollAt,
  nextPollDelayMs,
  nextSlotAfterRead,
  readingSource,
  slotAtOrAfter,
  type BusDevice,
  type ReadResult,
} from '@pieng/connectors';
import { AuditTrailService } from '../audit/audit-trail.service';
import { ALL_CLIENTS, ClientScope } from '../common/client-scope';
import { DomainError, InsufficientStorageError, MeterTimeoutError, MeterUnreachableError, UnprocessableError } from '../common/domain-errors';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { DevicesService } from '../devices/devices.service';
import type { Device } from '../devices/entities/device.entity';
import { DeviceLineWarnings } from '../devices/line-warnings';
import { DeviceReach } from '../devices/device-reach';
import { IngestService } from '../ingest/ingest.service';
import { PlantMetrics } from '../observability/plant-metrics';
import { toBusDevice } from './bus-device';
import { PollingLeases } from './polling-leases';
import { checkDeviceConfig } from '../devices/device-config';
import { DeviceSecrets } from '../devices/device-secrets';
import { TestReadDto, TestReadResponse } from './dto/test-read.dto';
import { metricUnit } from '@pieng/shared';
import { randomUUID } from 'node:crypto';

/** How often the poller renews its leases and asks whether any device changed (reads are timed to their slots, not to this). */
export const DEVICE_RELOAD_MS = 1000;
/** The polled devices are read from the database at least this often even when no change was signalled (e.g. a row edited by hand). */
export const DEVICE_FULL_RELOAD_MS = 60_000;

/** A polled device as loaded from the database, with what is derived from its row once per load. */
interface PolledDevice {
  d: Device;
  bus: BusDevice | null;
  configError?: string;
  /** Its lease: its serial line or RTU gateway, or the device alone. */
  unit: string;
  /** Its link (FieldBus.lineKey), to find the devices of a link that is reachable again. */
  lineKey: string | null;
}

interface PollState extends PolledDevice {
  /** When to start the next read (epoch ms): a slot of its grid, or at once after its link came back. */
  nextDueAt: number;
  /** The interval of its grid (a Tuya device's may be stretched beyond the configured one). */
  intervalMs: number;
  /** When its last read by this instance started, or null. */
  lastStartedAt: number | null;
  running: boolean;
  failures: number;
  /** The last reading could not be stored for lack of disk space (logged once until one is stored again). */
  storageRefused?: boolean;
}

export interface PollOutcome extends ReadResult {
  deviceId: number;
  ts: number;
}

const label = (d: Device) => `Meter "${d.name}" (device ${d.id})`;
const seconds = (ms: number) =>
  ms < 10_000
    ? `${(ms / 1000).toFixed(1)} s`
    : ms < 120_000
      ? `${Math.round(ms / 1000)} s`
      : ms < 7_200_000
        ? `${Math.round(ms / 60_000)} min`
        : `${Math.round(ms / 3_600_000)} h`;

/** A FieldBus failure as the HTTP answer of a manual read: 504 for a timeout, 502 otherwise. */
export function meterError(err: unknown): Error {
  const message = err instanceof Error ? err.message : String(err);
  if (err instanceof FieldBusError && err.kind === 'timeout') return new MeterTimeoutError(message);
  if (err instanceof FieldBusError && err.kind === 'config') return new UnprocessableError(message);
  return new MeterUnreachableError(message);
}

/** A failed poll's message as users of the device's client see it (see errorForClientUser). */
function messageForClient(err: unknown, device: BusDevice | null): string {
  if (err instanceof FieldBusError) return device ? errorForClientUser(err, device).message : 'the settings of this meter cannot be read';
  return err instanceof DomainError ? err.message : 'the reading could not be stored';
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Reads every active Modbus / Tuya device on its poll grid: a device polled every N seconds reads
 * at the multiples of N since the epoch (see poll-grid in the connectors), started by a timer set
 * to the earliest due read, so neither read times nor a scheduler tick add drift; a read that
 * overran its next slot skips it rather than bunch two reads. FieldBus queues per line, so reads
 * on different lines run in parallel. Readings go through IngestService like every other reading.
 * A failing device backs off (nextPollDelayMs, capped at max(60 s, 3 intervals)) and rejoins its
 * grid; when its TCP link answers again, it is read at once.
 *
 * Once a second (an interval registered with @nestjs/schedule's SchedulerRegistry, only when
 * polling is on) the leases are renewed and the device-settings revision is asked: the polled
 * devices (and only those: the database filters) are loaded again when it moved.
 */
const POLLING_JOB = 'meter-polling';

@Injectable()
export class PollingService implements OnApplicationBootstrap, OnModuleDestroy, OnApplicationShutdown {
  private readonly logger = new Logger('Polling');
  private readonly states = new Map<number, PollState>();
  private readonly inFlight = new Set<Promise<void>>();
  /** Tuya devices whose interval is stretched to fit the project's monthly call quota, with the reason. */
  private readonly quotaNotes = new Map<number, string>();
  /** The polled devices of every client as last loaded, and the device-settings revision they reflect. */
  private polled: PolledDevice[] = [];
  private polledRevision: number | null = null;
  private polledAt = 0;
  /** Line warnings from the last load (the wire time of each serial line), before the Tuya quota notes. */
  private lineReport = new Map<number, string>();
  /** Lease units held after the last sync. */
  private heldUnits = new Set<string>();
  /** Local time until which the leases from the last reload cover reads (no read starts after it). */
  private heldUntil = 0;
  private reloading?: Promise<void>;
  /** The timer that starts the next due read, and when it fires. */
  private wakeTimer?: NodeJS.Timeout;
  private wakeAt = Infinity;
  private stopReachable?: () => void;
  private stopped = false;
  /** When the scheduler last looked for due reads (epoch ms), for /api/health; null until the first look or with polling off. */
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
    private readonly reach: DeviceReach,
    private readonly secrets: DeviceSecrets,
    @Optional() private readonly plantMetrics?: PlantMetrics,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.config.enablePolling) {
      this.logger.log('Polling is switched off (ENABLE_POLLING=false); meters are read only on request');
      return;
    }
    this.stopReachable = this.bus.onLinkReachable((lineKey) => this.readLinkNow(lineKey));
    this.scheduler.addInterval(
      POLLING_JOB,
      setInterval(() => void this.tick(), DEVICE_RELOAD_MS),
    );
    void this.tick();
  }

  /** Stops the timers and lets the reads in progress finish before the database closes. */
  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    if (this.scheduler.doesExist('interval', POLLING_JOB)) this.scheduler.deleteInterval(POLLING_JOB);
    clearTimeout(this.wakeTimer);
    this.stopReachable?.();
    await this.reloading?.catch(() => undefined);
    await Promise.allSettled([...this.inFlight]);
    // Gives the devices back at once, so that another instance on the same database takes over without waiting for expiry.
    if (this.config.enablePolling)
      await this.leases.releaseAll().catch((err) => this.logger.warn(`Could not release the polling leases: ${(err as Error).message}`));
  }

  async onApplicationShutdown(): Promise<void> {
    await this.bus.close();
  }

  /** Once a second: renew the leases, reload the devices if they changed, start what is due. */
  async tick(): Promise<void> {
    if (this.stopped) return;
    this.lastTickAt = Date.now();
    try {
      this.reloading ??= this.reload().finally(() => (this.reloading = undefined));
      await this.reloading;
    } catch (err) {
      this.logger.error(`Could not load the devices to poll: ${(err as Error).message}`);
      return;
    }
    this.startDue();
  }

  /** Starts every due read (never two of one device at once) and sets the timer for the next one. */
  private startDue(): void {
    if (this.stopped) return;
    clearTimeout(this.wakeTimer);
    this.wakeTimer = undefined;
    this.wakeAt = Infinity;
    const now = Date.now();
    this.lastTickAt = now;
    // Leases not renewed in time (database unreachable or slow): stop reading before another instance may take over.
    const held = now < this.heldUntil;
    let earliest = Infinity;
    for (const state of this.states.values()) {
      if (state.running) continue;
      if (held && state.nextDueAt <= now) this.start(state);
      else earliest = Math.min(earliest, state.nextDueAt);
    }
    // Without leases the next reload (within a second) starts what is due.
    if (held) this.wakeUpAt(earliest);
  }

  /** Makes sure the timer fires by `at` (epoch ms); an earlier timer stays. */
  private wakeUpAt(at: number): void {
    if (this.stopped || !Number.isFinite(at) || at >= this.wakeAt) return;
    clearTimeout(this.wakeTimer);
    this.wakeAt = at;
    this.wakeTimer = setTimeout(() => this.startDue(), Math.max(0, at - Date.now()));
  }

  /**
   * Loads the polled devices again when the device-settings revision moved (or once a minute), and
   * syncs the leases: this instance reads only the devices whose lease it holds (all of them when
   * it is alone on its database, its fair share when several instances share one PostgreSQL database).
   */
  private async reload(): Promise<void> {
    const revision = await this.devices.settingsRevision();
    let loaded = false;
    if (revision !== this.polledRevision || Date.now() - this.polledAt >= DEVICE_FULL_RELOAD_MS) {
      // The revision is read before the devices: a change committed in between is loaded now and again next time, never missed.
      await this.loadPolled();
      this.polledRevision = revision;
      loaded = true;
    }
    const units = new Map(this.polled.map((e) => [e.d.id, e.unit]));
    const busy = new Set([...this.states.values()].filter((s) => s.running).map((s) => units.get(s.d.id) ?? ''));
    const lease = await this.leases.sync([...new Set(units.values())], busy);
    this.heldUntil = lease.validUntil;
    // Devices this instance starts reading (start-up, taken over, rebalanced): their last reading decides their first slot, so it must be fresh.
    if (!loaded && [...lease.held].some((unit) => !this.heldUnits.has(unit))) await this.loadPolled();
    this.heldUnits = lease.held;
    const now = Date.now();
    const seen = new Set<number>();
    for (const entry of this.polled) {
      if (!lease.held.has(entry.unit)) continue;
      const d = entry.d;
      seen.add(d.id);
      const intervalMs = d.pollIntervalSec * 1000;
      const state = this.states.get(d.id);
      if (!state) {
        // At once when its current slot has no reading yet, else the first slot after its last reading (another instance's, when taken over).
        this.states.set(d.id, {
          ...entry,
          nextDueAt: firstPollAt(d.lastSeenAt, intervalMs, now),
          intervalMs,
          lastStartedAt: null,
          running: false,
          failures: d.consecutiveFailures,
        });
        continue;
      }
      // A new interval takes effect on its own grid now rather than after the old interval.
      if (d.pollIntervalSec !== state.d.pollIntervalSec && state.failures === 0 && !state.running) {
        state.intervalMs = intervalMs;
        state.nextDueAt = state.lastStartedAt === null ? now : nextSlotAfterRead(state.lastStartedAt, intervalMs, now);
      }
      Object.assign(state, entry);
    }
    for (const id of [...this.states.keys()]) {
      if (seen.has(id)) continue;
      this.states.delete(id);
      // Its link no longer counts it as a user (a link nobody uses is not probed).
      this.bus.forget(String(id));
    }
    if (loaded) this.lineReport = this.checkLines(this.polled);
    this.publishWarnings();
  }

  /** The active Modbus and Tuya devices (the database leaves out the others), with their bus form, lease unit and link. */
  private async loadPolled(): Promise<void> {
    this.polled = (await this.devices.listPolled()).map((d) => {
      const converted = toBusDevice(d, this.secrets);
      const bus = 'device' in converted ? converted.device : null;
      let lineKey: string | null = null;
      try {
        lineKey = bus ? this.bus.lineKey(bus) : null;
      } catch {
        // no link to wait for
      }
      return { d, bus, configError: 'error' in converted ? converted.error : undefined, unit: this.leases.unitOf(d, bus), lineKey };
    });
    this.polledAt = Date.now();
  }

  /** Line warnings over every polled device (not only those read here), so every instance shows the same. */
  private checkLines(all: PolledDevice[]): Map<number, string> {
    const warnings = new Map<number, string>();
    try {
      const entries = all.filter((e) => e.bus !== null).map((e) => ({ device: e.bus as BusDevice, pollIntervalMs: e.d.pollIntervalSec * 1000 }));
      for (const report of this.bus.lineSchedules(entries).values()) {
        if (report.fits || !report.message) continue;
        for (const timing of report.devices) warnings.set(Number(timing.id), report.message);
      }
    } catch (err) {
      this.logger.warn(`Could not check the line schedules: ${(err as Error).message}`);
    }
    return warnings;
  }

  private publishWarnings(): void {
    const warnings = new Map(this.lineReport);
    for (const [id, note] of this.quotaNotes) if (this.states.has(id)) warnings.set(id, note);
    this.lineWarnings.replace(warnings);
  }

  /** A TCP link that was down answers again: its failing devices are read now, not at their next back-off step. */
  private readLinkNow(lineKey: string): void {
    const now = Date.now();
    let any = false;
    for (const state of this.states.values()) {
      if (state.lineKey !== lineKey || state.failures === 0 || state.running) continue;
      state.nextDueAt = now;
      any = true;
    }
    if (any) this.startDue();
  }

  private start(state: PollState): void {
    state.running = true;
    const run = this.pollScheduled(state).finally(() => {
      state.running = false;
      this.inFlight.delete(run);
      this.wakeUpAt(state.nextDueAt);
    });
    this.inFlight.add(run);
  }

  private async pollScheduled(state: PollState): Promise<void> {
    const d = state.d;
    const configuredMs = d.pollIntervalSec * 1000;
    const startedAt = Date.now();
    state.lastStartedAt = startedAt;
    try {
      if (!state.bus) throw new FieldBusError('config', state.configError ?? 'invalid config');
      await this.readAndStore(d.id, state.bus);
      state.storageRefused = false;
      if (state.failures > 0) this.logger.log(`${label(d)} is answering again after ${state.failures} failed poll${state.failures === 1 ? '' : 's'}`);
      state.failures = 0;
      state.intervalMs = d.deviceType === 'tuya' ? this.tuyaIntervalMs(d, state.bus, configuredMs) : configuredMs;
      state.nextDueAt = nextSlotAfterRead(startedAt, state.intervalMs, Date.now());
    } catch (err) {
      if (err instanceof InsufficientStorageError) return this.storageRefused(state, err, nextSlotAfterRead(startedAt, state.intervalMs, Date.now()));
      const message = err instanceof Error ? err.message : String(err);
      let failures = state.failures + 1;
      try {
        const updated = await this.devices.recordPollFailure(d.id, message, messageForClient(err, state.bus));
        if (updated) failures = updated.consecutiveFailures;
      } catch (dbErr) {
        this.logger.error(`Could not record the failed poll of device ${d.id}: ${(dbErr as Error).message}`);
      }
      const delay = nextPollDelayMs(configuredMs, failures);
      if (state.failures === 0) this.logger.warn(`${label(d)} stopped answering: ${message}. Polling it again in ${seconds(delay)}`);
      else this.logger.debug(`${label(d)} still not answering (${failures} failures in a row): ${message}`);
      state.failures = failures;
      // Back on its grid after the back-off.
      state.intervalMs = configuredMs;
      state.nextDueAt = slotAtOrAfter(Date.now() + delay, configuredMs);
    }
  }

  /**
   * Tuya bills every call against a monthly quota: the interval stretches so that the quota
   * lasts to the month's end, and the device status says so (a warning below 20 % left).
   */
  private tuyaIntervalMs(d: Device, bus: BusDevice, intervalMs: number): number {
    const budget = this.bus.tuyaBudget(bus, intervalMs);
    const note =
      budget.warning ??
      (budget.stretched
        ? `Polled every ${seconds(budget.effectivePollIntervalMs)} instead of ${seconds(intervalMs)} so that the Tuya project's monthly calls last`
        : undefined);
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
    if (!state.storageRefused)
      this.logger.warn(`${label(state.d)}: reading not stored: ${err.message}. Polling goes on; readings are stored again once space is freed`);
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
    if (d.deviceType === 'mqtt') throw new UnprocessableError('this device publishes its readings to the MQTT broker; nothing to poll');
    const converted = toBusDevice(d, this.secrets);
    if ('error' in converted) throw new UnprocessableError(converted.error);
    const state = this.states.get(id);
    const startedAt = Date.now();
    try {
      const outcome = await this.readAndStore(id, converted.device);
      if (state) state.failures = 0;
      return outcome;
    } catch (err) {
      if (err instanceof FieldBusError) {
        const updated = await this.devices.recordPollFailure(id, err.message, messageForClient(err, converted.device));
        if (state && updated) state.failures = updated.consecutiveFailures;
      }
      throw await this.answerFor(scope, err, converted.device, startedAt);
    }
  }

  /**
   * A failed read as the caller's answer: in full for platform staff (504 timeout, 502 link down);
   * for users of a client as errorForClientUser words it, where a refused, an unreachable and a
   * silent link are one 504, given no sooner than the meter's timeout, so that neither the answer
   * nor its delay tells anything about the port.
   */
  private async answerFor(scope: ClientScope, err: unknown, device: BusDevice, startedAt: number): Promise<unknown> {
    if (!(err instanceof FieldBusError)) return err;
    if (scope.clientId === null) return meterError(err);
    const shown = errorForClientUser(err, device);
    if (shown.kind === 'timeout' && device.deviceType === 'modbus') {
      const wait = startedAt + device.config.timeoutMs - Date.now();
      if (wait > 0) await sleep(wait);
    }
    return meterError(shown);
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
    const converted = toBusDevice(d, this.secrets);
    if ('error' in converted) throw new UnprocessableError(converted.error);
    // A reset the audit trail could not record would leave the drop to 0 unexplained: not while it refuses.
    this.audit.assertAccepting();
    const startedAt = Date.now();
    try {
      await this.bus.pzem.resetEnergy(converted.device);
    } catch (err) {
      throw await this.answerFor(scope, err, converted.device, startedAt);
    }
    await this.audit.record([
      { ts: new Date().toISOString(), deviceId: d.id, deviceUid: d.uid, source: readingSource(converted.device), metrics: {}, event: 'energy-reset', actor },
    ]);
    this.logger.log(`${label(d)}: energy counter reset by ${actor}`);
  }

  /**
   * POST /devices/test-read: one read of settings not saved yet, validated as on creation, on the same bus and
   * line queue as polling. Nothing is stored and no device's state changes.
   */
  async testRead(scope: ClientScope, dto: TestReadDto): Promise<TestReadResponse> {
    let config = dto.config;
    const stored = dto.deviceId === undefined ? undefined : await this.devices.get(scope, dto.deviceId);
    if (stored) config = this.secrets.keepStoredSecrets(stored, config);
    const checked = checkDeviceConfig(dto.deviceType, config);
    // Checked as a save would be: the same settings a client user could not save cannot be read either.
    const heldToPolicy = await this.reach.check(scope, dto.deviceType, checked, stored);
    // A generic register map may name the unit of each of its metrics.
    const registers = Array.isArray(checked['registers']) ? (checked['registers'] as { metric?: unknown; unit?: unknown }[]) : [];
    const registerUnits = new Map(registers.filter((r) => typeof r.unit === 'string').map((r) => [String(r.metric), r.unit as string]));
    const id = `test-read-${randomUUID()}`;
    // The account and link of the client the read is for: the device's, else the caller's (null for platform staff).
    const device = { id, deviceType: dto.deviceType, config: checked, clientId: stored?.clientId ?? scope.clientId, heldToPolicy } as unknown as BusDevice;
    const startedAt = Date.now();
    try {
      const result = await this.bus.read(device);
      return {
        source: result.source,
        durationMs: result.durationMs,
        metrics: Object.entries(result.metrics).map(([metric, value]) => ({ metric, value, unit: registerUnits.get(metric) || metricUnit(metric) || null })),
      };
    } catch (err) {
      throw await this.answerFor(scope, err, device, startedAt);
    } finally {
      this.bus.forget(id);
    }
  }
}
