import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { APP_CONFIG, AppConfig } from '../config/app-config';

/**
 * Who this process is among the instances sharing one database. The UUID is new at every
 * start, so a restarted process never mistakes the leases of its dead predecessor for its own;
 * the rest of the owner string is there for people reading the lease table or the status.
 */
@Injectable()
export class InstanceIdentity {
  readonly id = randomUUID();
  /** The owner written into leases, e.g. `Pieng Medidor Master @ plant-1 pid 4242 (3f1c9a4e-...)`. */
  readonly owner: string;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.owner = `${config.appName} @ ${hostname()} pid ${process.pid} (${this.id})`.slice(0, 300);
  }
}
