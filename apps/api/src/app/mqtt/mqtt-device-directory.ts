import { Injectable } from '@nestjs/common';
import { createMqttDecoder, validateDeviceConfig, type MqttDeviceConfig, type MqttPayloadDecoder } from '@pieng/connectors';
import { APP_CONFIG_TIMEZONE_FALLBACK } from './mqtt-constants';
import { Database } from '../database/database.service';

/** An active mqtt device as the subscriber reads it. */
export interface MqttDeviceEntry {
  id: number;
  /** The root of its topics (devices.mqtt_topic). */
  root: string;
  decoder: MqttPayloadDecoder;
  /** Time of the last reading stored (devices.last_seen_at), kept up to date by the subscriber. */
  lastStoredTs: number | null;
  /** The time given to its last message without a time of its own (the receive time, kept distinct per message). */
  lastReceiveTs?: number;
}

interface DeviceRow {
  id: number | string;
  config: string | Record<string, unknown>;
  mqtt_topic: string;
  last_seen_at: number | string | null;
  timezone: string | null;
}

/**
 * The active mqtt devices and the topics they are read from, loaded from the database when the
 * device settings change. A device keeps its decoder (and so a Shelly Gen2's last status) while
 * its settings and its client's time zone stay as they were.
 */
@Injectable()
export class MqttDeviceDirectory {
  private byRoot = new Map<string, MqttDeviceEntry>();
  private keys = new Map<number, string>();

  constructor(private readonly db: Database) {}

  /** Reads the devices again; `plantTimezone` for clients without a time zone of their own. */
  async load(plantTimezone: string = APP_CONFIG_TIMEZONE_FALLBACK): Promise<void> {
    const rows = await this.db.query<DeviceRow>(
      `SELECT d.id, d.config, d.mqtt_topic, d.last_seen_at, c.timezone FROM devices d JOIN clients c ON c.id = d.client_id
       WHERE d.device_type = 'mqtt' AND d.active = ? AND d.mqtt_topic IS NOT NULL ORDER BY d.id`,
      [this.db.kind === 'postgres' ? true : 1],
    );
    const previous = new Map([...this.byRoot.values()].map((e) => [e.id, e]));
    const byRoot = new Map<string, MqttDeviceEntry>();
    const keys = new Map<number, string>();
    for (const row of rows) {
      const id = Number(row.id);
      const raw = typeof row.config === 'string' ? (JSON.parse(row.config) as Record<string, unknown>) : row.config;
      const checked = validateDeviceConfig('mqtt', raw);
      // Saved configs were validated on the way in; one that no longer is (an older rule) is left out rather than misread.
      if (!checked.config) continue;
      const timeZone = row.timezone ?? plantTimezone;
      const key = JSON.stringify([checked.config, timeZone]);
      const lastStoredTs = row.last_seen_at === null ? null : Number(row.last_seen_at);
      const kept = previous.get(id);
      const entry: MqttDeviceEntry =
        kept && this.keys.get(id) === key
          ? { ...kept, lastStoredTs: Math.max(kept.lastStoredTs ?? 0, lastStoredTs ?? 0) || null }
          : { id, root: row.mqtt_topic, decoder: createMqttDecoder(checked.config as MqttDeviceConfig, { timeZone }), lastStoredTs };
      byRoot.set(entry.root, entry);
      keys.set(id, key);
    }
    this.byRoot = byRoot;
    this.keys = keys;
  }

  /** The device a message on this topic belongs to: the one whose root is the topic or lies above it. */
  find(topic: string): MqttDeviceEntry | undefined {
    let end = topic.length;
    for (;;) {
      const entry = this.byRoot.get(topic.slice(0, end));
      if (entry) return entry;
      end = topic.lastIndexOf('/', end - 1);
      if (end <= 0) return undefined;
    }
  }

  /** The id of the device whose topics lie under exactly this root. */
  deviceAt(root: string): number | undefined {
    return this.byRoot.get(root)?.id;
  }

  /** Every topic filter to subscribe to. */
  filters(): Set<string> {
    const filters = new Set<string>();
    for (const entry of this.byRoot.values()) for (const f of entry.decoder.topics) filters.add(f);
    return filters;
  }

  get size(): number {
    return this.byRoot.size;
  }
}
