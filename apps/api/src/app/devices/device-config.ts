import { validateDeviceConfig } from '@pieng/connectors';
import type { DeviceType } from '@pieng/shared';
import { InvalidInputError } from '../common/domain-errors';

/** Validates a device config for its driver and returns it with defaults filled in; 400 naming the field otherwise. */
export function checkDeviceConfig(deviceType: DeviceType, config: Record<string, unknown>): Record<string, unknown> {
  const result = validateDeviceConfig(deviceType, config);
  if (result.errors) throw InvalidInputError.forFields(result.errors);
  return result.config as unknown as Record<string, unknown>;
}
