import { Injectable, Logger } from '@nestjs/common';
import { Database } from '../database/database.service';
import { REJECTED_PAYLOAD_CHARS } from './mqtt-constants';

interface PendingState {
  lastMessageAt: number;
  online?: boolean;
  rejected: number;
  payload?: string;
  reason?: string;
}

/**
 * What the messages say about the devices besides readings: when the last came, the availability
 * the device announced, and the payloads that could not be read. Gathered in memory and written
 * in one transaction once a second (MqttService's tick), so that a chatty or broken meter costs no write
 * per message (readings themselves go through IngestService at once).
 */
@Injectable()
export class MqttDeviceState {
  private readonly logger = new Logger('MQTT');
  private pending = new Map<number, PendingState>();
  private flushing: Promise<void> | undefined;

  constructor(private readonly db: Database) {}

  private entry(deviceId: number, at: number): PendingState {
    let state = this.pending.get(deviceId);
    if (!state) this.pending.set(deviceId, (state = { lastMessageAt: at, rejected: 0 }));
    state.lastMessageAt = Math.max(state.lastMessageAt, at);
    return state;
  }

  /** A message came (a reading, a retained one, an event). `online`: it showed the device is up, or said whether it is. */
  seen(deviceId: number, at: number, online?: boolean): void {
    const state = this.entry(deviceId, at);
    if (online !== undefined) state.online = online;
  }

  /** A payload that could not be read: counted, the last one kept with the reason. */
  rejected(deviceId: number, at: number, payload: Buffer, reason: string): void {
    const state = this.entry(deviceId, at);
    state.rejected++;
    state.payload = payload.toString('utf8').slice(0, REJECTED_PAYLOAD_CHARS);
    state.reason = reason.slice(0, 1000);
  }

  /** Writes what gathered since the last flush. */
  flush(): Promise<void> {
    this.flushing ??= (async () => {
      try {
        while (this.pending.size > 0) {
          const batch = this.pending;
          this.pending = new Map();
          await this.write(batch).catch((err: unknown) => {
            // Put back (merged under anything newer), to be written at the next flush.
            for (const [id, state] of batch) {
              const now = this.pending.get(id);
              this.pending.set(
                id,
                now
                  ? {
                      ...state,
                      ...now,
                      lastMessageAt: Math.max(state.lastMessageAt, now.lastMessageAt),
                      rejected: state.rejected + now.rejected,
                      ...(now.online === undefined && state.online !== undefined && { online: state.online }),
                      ...(now.payload === undefined && { payload: state.payload, reason: state.reason }),
                    }
                  : state,
              );
            }
            this.logger.warn(`Could not write the MQTT devices' state: ${(err as Error).message}`);
            throw err;
          });
        }
      } catch {
        // Logged above; retried at the next flush.
      }
    })().finally(() => (this.flushing = undefined));
    return this.flushing;
  }

  private write(batch: Map<number, PendingState>): Promise<void> {
    const bool = (b: boolean | undefined) => (b === undefined ? null : this.db.kind === 'postgres' ? b : b ? 1 : 0);
    return this.db.transaction(async (m) => {
      for (const [id, s] of batch) {
        await this.db.execute(
          `UPDATE devices SET
             mqtt_last_message_at = CASE WHEN mqtt_last_message_at IS NULL OR mqtt_last_message_at < ? THEN ? ELSE mqtt_last_message_at END,
             mqtt_online = COALESCE(?, mqtt_online),
             mqtt_rejected = mqtt_rejected + ?,
             last_rejected_payload = COALESCE(?, last_rejected_payload),
             last_rejected_reason = COALESCE(?, last_rejected_reason)
           WHERE id = ?`,
          [s.lastMessageAt, s.lastMessageAt, bool(s.online), s.rejected, s.payload ?? null, s.reason ?? null, id],
          m,
        );
      }
    });
  }
}
