import { Injectable } from '@nestjs/common';

/**
 * Per-device warnings about the line a device shares (its configured poll intervals need more
 * wire time than the line has). The polling module fills it in when it reloads the devices;
 * the device responses read it. Lives here so that DevicesModule needs no import of polling.
 */
@Injectable()
export class DeviceLineWarnings {
  private warnings = new Map<number, string>();

  /** Replaces every warning at once (the devices were reloaded). */
  replace(warnings: Map<number, string>): void {
    this.warnings = warnings;
  }

  get(deviceId: number): string | null {
    return this.warnings.get(deviceId) ?? null;
  }
}
