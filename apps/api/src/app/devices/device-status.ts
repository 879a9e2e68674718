import type { DeviceStatus } from '@pieng/shared';
import type { ClientScope } from '../common/client-scope';
import type { Device } from './entities/device.entity';

/** A meter that failed this many polls in a row is called offline, not just backing off. */
export const OFFLINE_AFTER_FAILURES = 3;

/** What the console shows for a device, derived from its poll history. */
export function deviceStatus(
  d: Pick<Device, 'active' | 'lastSeenAt' | 'consecutiveFailures' | 'pollIntervalSec'> & Partial<Pick<Device, 'mqttOnline'>>,
  now = Date.now(),
): DeviceStatus {
  if (!d.active) return 'inactive';
  // An MQTT meter that said it went away (Tasmota LWT Offline, say) is offline, however recent its last reading.
  if (d.mqttOnline === false) return 'offline';
  if (d.consecutiveFailures >= OFFLINE_AFTER_FAILURES) return 'offline';
  if (d.consecutiveFailures > 0) return 'backoff';
  if (d.lastSeenAt === null) return 'unknown';
  // Three missed intervals (at least a minute) without a reading: something is wrong even without an error.
  return now - d.lastSeenAt <= Math.max(3 * d.pollIntervalSec * 1000, 60_000) ? 'online' : 'offline';
}

/**
 * The last poll error as the caller may see it: in full for platform staff; for users of a client
 * the version kept for them, in which a refused link and a silent one read alike.
 */
export function lastErrorSeenBy(scope: ClientScope, d: Pick<Device, 'lastError' | 'lastErrorForClient'>): string | null {
  if (scope.clientId === null || d.lastError === null) return d.lastError;
  return d.lastErrorForClient ?? 'the last read of this meter failed';
}
