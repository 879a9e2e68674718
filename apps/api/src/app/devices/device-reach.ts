import { Inject, Injectable } from '@nestjs/common';
import { PlantNetwork, connectionSettings } from '@pieng/connectors';
import type { DeviceType } from '@pieng/shared';
import type { ClientScope } from '../common/client-scope';
import { InvalidInputError } from '../common/domain-errors';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import type { Device } from './entities/device.entity';

/**
 * Where a device may point, for the caller (the plant-network policy: MODBUS_ALLOWED_NETWORKS,
 * SERIAL_PORT_ALLOW, TUYA_ALLOWED_ENDPOINTS). Users of a client are held to it; platform staff are
 * free, except that a serial port must be a character device for everyone.
 */
@Injectable()
export class DeviceReach {
  private readonly plant: PlantNetwork;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.plant = new PlantNetwork(config.network);
  }

  /**
   * Checks a validated config (400 naming the field) and answers whether its connection settings
   * are held to the policy from now on. With `stored` (editing or test-reading a saved device),
   * connection settings left as they were are not checked again and keep their standing: a client
   * user may rename, re-time or re-map a device that staff set up on 127.0.0.1, and it keeps working.
   */
  async check(
    scope: ClientScope,
    deviceType: DeviceType,
    config: Record<string, unknown>,
    stored?: Pick<Device, 'deviceType' | 'config' | 'connectionSetByClient'>,
  ): Promise<boolean> {
    if (stored && stored.deviceType === deviceType && connectionSettings(deviceType, stored.config) === connectionSettings(deviceType, config)) {
      return stored.connectionSetByClient;
    }
    const staff = scope.clientId === null;
    const errors = await this.plant.check(deviceType, config, { staff });
    if (errors.length > 0) throw InvalidInputError.forFields(errors);
    return !staff;
  }
}
