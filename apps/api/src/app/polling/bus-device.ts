import { validateDeviceConfig, type BusDevice } from '@pieng/connectors';
import { DeviceSecrets, StoredSecretUnreadableError } from '../devices/device-secrets';
import type { Device } from '../devices/entities/device.entity';

/** The device as FieldBus sees it (secrets opened), or an error message when its stored config cannot be used. */
export function toBusDevice(d: Device, secrets: DeviceSecrets): { device: BusDevice } | { error: string } {
  if (d.deviceType !== 'modbus' && d.deviceType !== 'tuya') return { error: `device ${d.id} is of type ${d.deviceType} and is not read over a field bus` };
  let config: Record<string, unknown>;
  try {
    config = secrets.open(d);
  } catch (err) {
    if (err instanceof StoredSecretUnreadableError) return { error: `device ${d.id}: ${err.message}` };
    throw err;
  }
  const result = validateDeviceConfig(d.deviceType, config);
  if (!result.config) return { error: `device ${d.id} has an invalid config: ${(result.errors ?? []).map((e) => e.message).join('; ')}` };
  return {
    device: { id: String(d.id), deviceType: d.deviceType, config: result.config, clientId: d.clientId, heldToPolicy: d.connectionSetByClient } as BusDevice,
  };
}
