import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Database } from '../database/database.service';
import { RollupRebuild } from './rollup-rebuild';
import { RollupStore } from './rollup-store';

/**
 * Readings stored before rollups existed (a database upgraded from an earlier version) are rolled up
 * once, in the background while the server serves, with progress in the log: the migration listed
 * their devices in rollup_backfill, and each is struck off when done, so a restart goes on where the
 * last one stopped (a device cut short is rebuilt whole; a rebuild is idempotent).
 */
@Injectable()
export class RollupBackfill implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger('Rollups');
  private rebuild?: RollupRebuild;
  private running?: Promise<void>;
  private stopping = false;

  constructor(
    private readonly db: Database,
    private readonly store: RollupStore,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const devices = (await this.db.query<{ device_id: number }>('SELECT device_id FROM rollup_backfill ORDER BY device_id')).map((r) => Number(r.device_id));
    if (!devices.length) {
      this.running = this.backfillEnergy().catch((err: unknown) =>
        this.log.error(`Computing energy per quarter stopped: ${err instanceof Error ? err.message : String(err)}; it goes on at the next start`),
      );
      return;
    }
    this.log.warn(
      `Readings of ${devices.length} device(s) were stored before rollups existed: rolling them up in the background; their charts fill in as it goes`,
    );
    const rebuild = (this.rebuild = new RollupRebuild(this.db, this.store, (line) => this.log.log(line)));
    this.running = (async () => {
      for (const deviceId of devices) {
        const report = await rebuild
          .run(deviceId)
          .catch((err: unknown) => (err instanceof Error && /not found/.test(err.message) ? null : Promise.reject(err)));
        if (report?.stopped) return;
        await this.db.transaction((m) => this.db.execute('DELETE FROM rollup_backfill WHERE device_id = ?', [deviceId], m));
      }
      this.log.log('Stored readings are rolled up');
      await this.backfillEnergy();
    })().catch((err: unknown) =>
      this.log.error(
        `Rolling up stored readings stopped: ${err instanceof Error ? err.message : String(err)}; it goes on at the next start (or run rollups-rebuild)`,
      ),
    );
  }

  /**
   * Energy per quarter of the devices that had rollups before energy_quarters existed (the migration
   * listed them in energy_backfill): computed once from their 1-minute rollups, in the background.
   */
  private async backfillEnergy(): Promise<void> {
    const devices = (await this.db.query<{ device_id: number }>('SELECT device_id FROM energy_backfill ORDER BY device_id')).map((r) => Number(r.device_id));
    for (const deviceId of devices) {
      if (this.stopping) return;
      await this.store.energy.rebuildDevice(deviceId);
      await this.db.transaction((m) => this.db.execute('DELETE FROM energy_backfill WHERE device_id = ?', [deviceId], m));
    }
    if (devices.length) this.log.log(`Energy per quarter computed for ${devices.length} device(s) from their rollups`);
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopping = true;
    this.rebuild?.stop();
    await this.running;
  }
}
