import { Injectable, Logger } from '@nestjs/common';
import type { Device } from './entities/device.entity';

export type PollerLookup = (devices: Device[]) => Promise<Map<number, string>>;

/**
 * Which instance polls each device (the holder of its lease), for the device responses. The
 * polling module provides the look-up (it knows how devices map to leases); this holder lives
 * here so that DevicesModule needs no import of polling, like DeviceLineWarnings.
 */
@Injectable()
export class DevicePollers {
  private readonly logger = new Logger('Devices');
  private lookup: PollerLookup | undefined;

  provide(lookup: PollerLookup): void {
    this.lookup = lookup;
  }

  /** Device id -> owner string of the instance polling it now; devices nobody polls are absent. */
  async of(devices: Device[]): Promise<Map<number, string>> {
    if (!this.lookup || devices.length === 0) return new Map();
    try {
      return await this.lookup(devices);
    } catch (err) {
      // The status is a courtesy: a failed look-up leaves polledBy empty rather than failing the request.
      this.logger.warn(`Could not read who polls the devices: ${(err as Error).message}`);
      return new Map();
    }
  }
}
