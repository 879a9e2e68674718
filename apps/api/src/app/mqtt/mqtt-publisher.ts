import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { metricUnit } from '@pieng/shared';
import type { MqttClient } from 'mqtt';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { Database } from '../database/database.service';
import { LiveReading, LiveReadings } from '../ingest/live-readings';

/** Readings waiting for the broker, at most; past it the oldest are dropped (counted in /api/health and logged). */
export const MAX_PUBLISH_QUEUE = 10_000;
/** Readings handed to MQTT.js at once; the next ones wait for these PUBACKs, so that a slow broker slows only this queue. */
const PUBLISH_CHUNK = 500;
/** A drop is logged at most this often. */
const DROP_LOG_EVERY_MS = 60_000;

interface PublishedDevice {
  uid: string;
  name: string;
  /** The client's externalId, or its id: the second level of the state topic. */
  clientKey: string;
}

/** Home Assistant's device class, unit and state class for one of our metrics (by its unit). */
export function homeAssistantSensor(metric: string): { device_class?: string; unit_of_measurement?: string; state_class: 'measurement' | 'total_increasing' } {
  const unit = metricUnit(metric);
  if (metric === 'powerFactor') return { device_class: 'power_factor', state_class: 'measurement' };
  const byUnit: Record<string, string> = { Wh: 'energy', W: 'power', V: 'voltage', A: 'current', Hz: 'frequency', VA: 'apparent_power', var: 'reactive_power' };
  const deviceClass = unit ? byUnit[unit] : undefined;
  if (!deviceClass) return { ...(unit && { unit_of_measurement: unit }), state_class: 'measurement' };
  // Energy in Wh is a meter's counter: Home Assistant's energy dashboard takes it as total_increasing.
  return { device_class: deviceClass, unit_of_measurement: unit, state_class: deviceClass === 'energy' ? 'total_increasing' : 'measurement' };
}

/** A topic level from free text: MQTT's separators and wildcards replaced. */
const level = (s: string) => s.replace(/[/+#]/g, '_');

/**
 * MQTT_PUBLISH=true: every reading stored (after its commit, from the live stream) that did not come
 * in over MQTT is published at QoS 1, not retained, to `pieng/<client externalId or id>/<device uid>/state`
 * as {"ts": ISO time, <metric>: value, ...}; for each device and metric a Home Assistant discovery config
 * is published retained under `homeassistant/sensor/pieng_<uid>_<metric>/config`, once per connection.
 *
 * Ingest never waits for this: readings wait in a queue of at most MAX_PUBLISH_QUEUE while the broker
 * is away or slow (only the holder of the mqtt lease is connected and publishes); past it the oldest
 * are dropped, counted (GET /api/health mqtt.publishDropped) and logged. A chunk handed to MQTT.js is
 * sent again by it after a reconnect (persistent session); one still unacknowledged when the connection
 * is closed for good (shutdown, the lease lost) is counted as dropped.
 */
@Injectable()
export class MqttPublisher implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('MQTT publish');
  private readonly enabled: boolean;
  private queue: LiveReading[] = [];
  private client: MqttClient | undefined;
  private sending: Promise<void> | undefined;
  private stopListening: (() => void) | undefined;
  private readonly devices = new Map<number, PublishedDevice>();
  /** Discovery configs sent on the current connection: uid + metric. */
  private readonly announced = new Set<string>();
  private lastDropLog = 0;
  published = 0;
  dropped = 0;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly live: LiveReadings,
    private readonly db: Database,
  ) {
    this.enabled = config.mqtt?.publish ?? false;
  }

  onModuleInit(): void {
    if (this.enabled) this.stopListening = this.live.listen((readings) => this.take(readings));
  }

  onModuleDestroy(): void {
    this.stopListening?.();
  }

  get queued(): number {
    return this.queue.length;
  }

  /** The connection to publish on (undefined: none now); MqttService calls it as the connection comes and goes. */
  attach(client: MqttClient | undefined): void {
    if (client !== this.client) this.announced.clear();
    this.client = client;
    this.kick();
  }

  /** Device names, uids or clients may have changed: read again when next needed, and announce again. */
  devicesChanged(): void {
    this.devices.clear();
    this.announced.clear();
  }

  private take(readings: LiveReading[]): void {
    for (const r of readings) if (r.source !== 'mqtt') this.queue.push(r);
    const over = this.queue.length - MAX_PUBLISH_QUEUE;
    if (over > 0) {
      this.queue.splice(0, over);
      this.dropped += over;
      if (Date.now() - this.lastDropLog >= DROP_LOG_EVERY_MS) {
        this.lastDropLog = Date.now();
        this.logger.warn(
          `The broker takes readings slower than they are stored, or is away: ${this.dropped} reading(s) not published so far (the oldest dropped past ${MAX_PUBLISH_QUEUE} waiting)`,
        );
      }
    }
    this.kick();
  }

  private kick(): void {
    if (this.sending || !this.client?.connected || this.queue.length === 0) return;
    this.sending = this.send(this.client).finally(() => {
      this.sending = undefined;
      if (this.client?.connected && this.queue.length) this.kick();
    });
  }

  private async send(client: MqttClient): Promise<void> {
    while (client.connected && this.client === client && this.queue.length) {
      const chunk = this.queue.splice(0, PUBLISH_CHUNK);
      try {
        await this.loadDevices(chunk.map((r) => r.deviceId));
      } catch (err) {
        // The database is away: the chunk waits for the next try.
        this.queue.unshift(...chunk);
        this.logger.warn(`Could not read the devices to publish: ${(err as Error).message}`);
        return;
      }
      const sent: Promise<unknown>[] = [];
      for (const r of chunk) {
        const device = this.devices.get(r.deviceId);
        // A device deleted since: nothing to publish it under.
        if (!device) continue;
        for (const metric of Object.keys(r.metrics)) {
          const key = `${device.uid}\u0000${metric}`;
          if (this.announced.has(key)) continue;
          this.announced.add(key);
          sent.push(
            client.publishAsync(
              `homeassistant/sensor/pieng_${level(device.uid)}_${level(metric)}/config`,
              JSON.stringify(this.discoveryConfig(device, metric)),
              { qos: 1, retain: true },
            ),
          );
        }
        sent.push(client.publishAsync(this.stateTopic(device), JSON.stringify({ ts: new Date(r.ts).toISOString(), ...r.metrics }), { qos: 1, retain: false }));
      }
      const results = await Promise.allSettled(sent);
      const failed = results.filter((x) => x.status === 'rejected').length;
      this.published += results.length - failed;
      if (failed) {
        this.dropped += failed;
        this.logger.warn(
          `${failed} MQTT publication(s) not acknowledged by the broker before the connection closed: ${((results.find((x) => x.status === 'rejected') as PromiseRejectedResult).reason as Error).message}`,
        );
      }
    }
  }

  private stateTopic(device: PublishedDevice): string {
    return `pieng/${level(device.clientKey)}/${level(device.uid)}/state`;
  }

  private discoveryConfig(device: PublishedDevice, metric: string): Record<string, unknown> {
    return {
      name: metric,
      unique_id: `pieng_${device.uid}_${metric}`,
      object_id: `pieng_${device.uid}_${metric}`,
      state_topic: this.stateTopic(device),
      value_template: `{{ value_json.${metric} }}`,
      ...homeAssistantSensor(metric),
      device: { identifiers: [`pieng_${device.uid}`], name: device.name, manufacturer: 'Pieng Medidor' },
    };
  }

  private async loadDevices(ids: number[]): Promise<void> {
    const missing = [...new Set(ids)].filter((id) => !this.devices.has(id));
    if (!missing.length) return;
    const rows = await this.db.query<{ id: number | string; uid: string; name: string; client_id: number | string; external_id: string | null }>(
      `SELECT d.id, d.uid, d.name, d.client_id, c.external_id FROM devices d JOIN clients c ON c.id = d.client_id WHERE d.id IN (${missing.map(() => '?').join(', ')})`,
      missing,
    );
    for (const row of rows) this.devices.set(Number(row.id), { uid: row.uid, name: row.name, clientKey: row.external_id ?? String(Number(row.client_id)) });
  }
}
