import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { HeldLease } from './held-lease';
import { LeaseStore } from './lease-store';

/**
 * The `alarms` lease: its holder runs the alarm timers and sends the notifications (one instance
 * among those on a database does both). One holder for both jobs: taken at start, handed back only
 * before the application shuts down, after both jobs stopped at module destroy, so no timer round
 * runs on an instance that has let the lease go.
 */
@Injectable()
export class AlarmsLease implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly lease: HeldLease;

  constructor(store: LeaseStore, @Inject(APP_CONFIG) config: AppConfig) {
    this.lease = store.hold('alarms', { ttlMs: config.leaseTtlSec * 1000, job: 'runs the alarm timers and sends notifications', logger: new Logger('Alarms') });
  }

  get held(): boolean {
    return this.lease.held;
  }

  /** Held now, or taken now if free. */
  async holdNow(): Promise<boolean> {
    return this.lease.held || this.lease.renew();
  }

  onApplicationBootstrap(): void {
    this.lease.start();
    void this.lease.renew();
  }

  beforeApplicationShutdown(): Promise<void> {
    return this.lease.stop();
  }
}
