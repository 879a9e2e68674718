import { Injectable } from '@nestjs/common';
import { mqttTopicRoot, parseMqttAnnouncement, type MqttAnnouncement } from '@pieng/connectors';
import { MqttDeviceDirectory } from './mqtt-device-directory';

/** Announced meters kept, at most: the ones seen longest ago make room. */
export const MAX_DISCOVERED = 1_000;

export interface DiscoveredMqttDevice extends MqttAnnouncement {
  /** The MQTT topic the announcement came on. */
  announcedOn: string;
  lastSeenAt: number;
  /** The active mqtt device that already reads it, or null. */
  deviceId: number | null;
}

/**
 * The meters that announced themselves on the broker (Tasmota discovery, Shelly announce and
 * online, the Zigbee2MQTT device list), in memory: an instance that starts reading sees them again
 * as they are retained or repeated.
 */
@Injectable()
export class MqttDiscovery {
  /** format + topic -> announcement, least recently seen first. */
  private readonly seen = new Map<string, Omit<DiscoveredMqttDevice, 'deviceId'>>();

  constructor(private readonly directory: MqttDeviceDirectory) {}

  /** Notes the meters a message announces (none for most messages). */
  observe(topic: string, payload: Buffer, receivedAt: number): void {
    for (const a of parseMqttAnnouncement(topic, payload)) {
      const key = `${a.format}\u0000${a.topic}`;
      this.seen.delete(key);
      this.seen.set(key, { ...a, announcedOn: topic, lastSeenAt: receivedAt });
      if (this.seen.size > MAX_DISCOVERED) this.seen.delete(this.seen.keys().next().value as string);
    }
  }

  /** Newest first, each with the device that reads it if there is one. */
  list(): DiscoveredMqttDevice[] {
    return [...this.seen.values()].reverse().map((d) => ({ ...d, deviceId: this.directory.deviceAt(mqttTopicRoot(d)) ?? null }));
  }
}
