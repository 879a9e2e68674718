import { validateDeviceConfig, type BusDevice } from '@pieng/connectors';
import type { Device } from '../devices/entities/device.entity';

/** The device as FieldBus sees it, or an error message when its stored config no longer validates. */
export function toBusDevice(d: Device): { device: BusDevice } | { error: string } {
  if (d.deviceType !== 'modbus' && d.deviceType !== 'tuya') return { error: `device ${d.id} is of type ${d.deviceType} and is not read over a field bus` };
  const result = validateDeviceConfig(d.deviceType, d.config);
  if (!result.config) return { error: `device ${d.id} has an invalid config: ${(result.errors ?? []).map((e) => e.message).join('; ')}` };
  return { device: { id: String(d.id), deviceType: d.deviceType, config: result.config, clientId: d.clientId, heldToPolicy: d.connectionSetByClient } as BusDevice };
}
