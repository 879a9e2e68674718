import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { FieldBus, type BusDevice } from '@pieng/connectors';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { DevicePollers } from '../devices/device-pollers';
import { POLLED_DEVICE_TYPES } from '../devices/devices.service';
import { DeviceSecrets } from '../devices/device-secrets';
import type { Device } from '../devices/entities/device.entity';
import { planFairShare } from '../leases/fair-share';
import { InstanceIdentity } from '../leases/instance-identity';
import { LeaseStore } from '../leases/lease-store';
import { toBusDevice } from './bus-device';

/** An instance that polls renews `poller:<id>` with its units: live pollers share the units. */
export const POLLER_PREFIX = 'poller:';
/** A device read on its own (Modbus TCP, Tuya). */
export const DEVICE_PREFIX = 'device:';
/** A serial line or RTU gateway: its devices share one queue and one wire, so one instance reads them all. */
export const LINE_PREFIX = 'line:';
/** Lease rows of pollers that stopped more than this long ago are deleted. */
const FORGET_POLLERS_AFTER_MS = 60_000;

export interface LeaseSync {
  /** Units this instance holds now. */
  held: Set<string>;
  /** Units taken in this sync that another instance held before (it read them recently). */
  takenOver: Set<string>;
  /** Local clock (Date.now()) until which the units may be read without another renewal. */
  validUntil: number;
  /** Pollers alive (this one included). */
  liveOwners: number;
}

/**
 * Which devices this instance polls, when several instances share one database. Called once a
 * second by the poller: one read of the lease table, one claim/renew statement for the
 * heartbeat and every unit kept or taken, and a release only when units must be given back.
 */
@Injectable()
export class PollingLeases {
  private readonly logger = new Logger('Polling');
  private lastShare = '';

  constructor(
    private readonly store: LeaseStore,
    private readonly identity: InstanceIdentity,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly secrets: DeviceSecrets,
    @Optional() private readonly bus?: FieldBus,
    @Optional() pollers?: DevicePollers,
  ) {
    // Every instance answers who polls a device, polling itself or not: the leases are in the shared database.
    pollers?.provide((devices) => this.pollersOf(devices));
  }

  /**
   * The lease a device is polled under: its serial line or RTU gateway when it has one (one instance
   * owns the wire and its queue), else the device alone (Modbus TCP, Tuya).
   */
  unitOf(d: Pick<Device, 'id'>, bus: BusDevice | null): string {
    if (bus?.deviceType === 'modbus' && this.bus) {
      try {
        const key = this.bus.lineKey(bus);
        if (!key.startsWith('tcp:')) return `${LINE_PREFIX}${key}`;
      } catch {
        // no line to share: leased alone
      }
    }
    return `${DEVICE_PREFIX}${d.id}`;
  }

  /** Device id -> the instance polling it now, for the devices that are polled at all. */
  private async pollersOf(devices: Device[]): Promise<Map<number, string>> {
    const polled = devices.filter((d) => d.active && (POLLED_DEVICE_TYPES as readonly string[]).includes(d.deviceType));
    const out = new Map<number, string>();
    if (polled.length === 0) return out;
    const owners = await this.owners();
    for (const d of polled) {
      const converted = toBusDevice(d, this.secrets);
      const owner = owners.get(this.unitOf(d, 'device' in converted ? converted.device : null));
      if (owner) out.set(d.id, owner);
    }
    return out;
  }

  get owner(): string {
    return this.identity.owner;
  }

  get ttlMs(): number {
    return this.config.leaseTtlSec * 1000;
  }

  async sync(units: string[], busy: ReadonlySet<string>): Promise<LeaseSync> {
    // Measured before anything is sent: whatever the database grants lasts ttl from a later moment.
    const startedAt = Date.now();
    const me = this.identity.owner;
    const snap = await this.store.snapshot([POLLER_PREFIX, DEVICE_PREFIX, LINE_PREFIX]);
    const myPoller = `${POLLER_PREFIX}${this.identity.id}`;
    let liveOwners = 1;
    const stalePollers: string[] = [];
    for (const lease of snap.leases.values()) {
      if (!lease.name.startsWith(POLLER_PREFIX) || lease.name === myPoller) continue;
      if (lease.expiresAt >= snap.now) liveOwners++;
      else if (lease.expiresAt < snap.now - FORGET_POLLERS_AFTER_MS) stalePollers.push(lease.name);
    }
    const plan = planFairShare({ me, now: snap.now, units, leases: snap.leases, liveOwners, graceMs: this.ttlMs, busy });

    const wanted = new Set(units);
    // Units that are no longer polled (device deleted, deactivated, moved to another line): let them go.
    const gone = [...snap.leases.values()].filter((l) => !l.name.startsWith(POLLER_PREFIX) && !wanted.has(l.name));
    const release = [...plan.release, ...gone.filter((l) => l.owner === me && l.expiresAt >= snap.now).map((l) => l.name)];
    if (release.length) await this.store.release(release);
    const garbage = [...stalePollers, ...gone.filter((l) => l.expiresAt < snap.now).map((l) => l.name)];
    if (garbage.length) await this.store.removeExpired(garbage);

    const granted = await this.store.claim([myPoller, ...plan.claim], this.ttlMs);
    granted.delete(myPoller);
    const takenOver = new Set<string>();
    for (const name of granted) {
      const before = snap.leases.get(name);
      if (before && before.owner !== me) takenOver.add(name);
    }
    const share = `${granted.size}/${units.length}/${liveOwners}`;
    if (share !== this.lastShare && liveOwners > 1) {
      this.logger.log(`Polling ${granted.size} of ${units.length} device group(s); ${liveOwners} instances share them (at most ${plan.share} each)`);
    }
    this.lastShare = share;
    return { held: granted, takenOver, validUntil: startedAt + this.ttlMs, liveOwners };
  }

  /** Gives every polling lease of this instance back (graceful shutdown): another instance takes over at its next reload. */
  async releaseAll(): Promise<void> {
    await this.store.releaseAll([POLLER_PREFIX, DEVICE_PREFIX, LINE_PREFIX]);
  }

  /** Who polls each unit now (live leases only). */
  async owners(): Promise<Map<string, string>> {
    const snap = await this.store.snapshot([DEVICE_PREFIX, LINE_PREFIX]);
    const out = new Map<string, string>();
    for (const l of snap.leases.values()) if (l.expiresAt >= snap.now) out.set(l.name, l.owner);
    return out;
  }
}
