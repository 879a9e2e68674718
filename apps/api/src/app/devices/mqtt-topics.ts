import { mqttTopicRoot, topicIsUnder, topicRootsOverlap, type MqttDeviceConfig } from '@pieng/connectors';
import type { DeviceType } from '@pieng/shared';
import type { EntityManager } from 'typeorm';
import { ConflictError, InvalidInputError } from '../common/domain-errors';
import type { Database } from '../database/database.service';

/**
 * The topic root an mqtt device is stored with (null for the other types), checked in the
 * transaction that saves the device: under the client's `mqttTopicPrefix` (400 naming config.topic)
 * and used by no other device across the platform, not even one topic level above or below (409).
 * On PostgreSQL the check holds a transaction lock, so two devices saved at once cannot both pass.
 */
export async function claimMqttTopic(
  db: Database,
  m: EntityManager,
  deviceType: DeviceType,
  config: Record<string, unknown>,
  clientId: number,
  deviceId?: number,
): Promise<string | null> {
  if (deviceType !== 'mqtt') return null;
  const mqtt = config as unknown as MqttDeviceConfig;
  const [client] = await db.query<{ mqtt_topic_prefix: string | null }>('SELECT mqtt_topic_prefix FROM clients WHERE id = ?', [clientId], m);
  const prefix = client?.mqtt_topic_prefix ?? null;
  if (prefix !== null && !topicIsUnder(mqtt.topic, prefix)) {
    throw InvalidInputError.forFields([
      { field: 'config.topic', message: `config.topic must lie under this client's MQTT topic prefix "${prefix}" (for example ${prefix}/plug1)` },
    ]);
  }
  const root = mqttTopicRoot(mqtt);
  if (db.kind === 'postgres') await m.query(`SELECT pg_advisory_xact_lock(hashtext('pieng-mqtt-topics'))`);
  const taken = await db.query<{ id: number; mqtt_topic: string }>(
    'SELECT id, mqtt_topic FROM devices WHERE mqtt_topic IS NOT NULL AND id <> ?',
    [deviceId ?? 0],
    m,
  );
  const other = taken.find((d) => topicRootsOverlap(d.mqtt_topic, root));
  // Not naming the other device's client: the topic may belong to another tenant.
  if (other)
    throw new ConflictError(
      `MQTT topic ${root} is already read by device ${Number(other.id)}${other.mqtt_topic === root ? '' : ` (topic ${other.mqtt_topic})`}: a topic belongs to one device`,
    );
  return root;
}
