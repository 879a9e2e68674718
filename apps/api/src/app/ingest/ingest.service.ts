import { Injectable } from '@nestjs/common';
import type { ReadingSource } from '@pieng/shared';
import { AlarmEvaluator, StoredValue } from '../alarms/alarm-evaluator';
import { AuditEntry, AuditTrailService } from '../audit/audit-trail.service';
import { ClientScope } from '../common/client-scope';
import { Database } from '../database/database.service';
import { DevicesService } from '../devices/devices.service';
import { ForwardingOutbox, OutboxReading } from '../forwarding/forwarding-outbox';
import { IngestRequest, ValidReading } from './ingest-validation';
import { LiveReading, LiveReadings } from './live-readings';

export interface IngestResult {
  readings: number;
  stored: number;
  duplicates: number;
  alarmEvents: number;
  alarmsCleared: number;
}

/** Rows per INSERT: 5 parameters each stays far below SQLite's 32,766-parameter limit. */
const ROWS_PER_STATEMENT = 500;

/**
 * The one write path for readings (poller, HTTP ingest, forwarding all come here):
 * check the devices, then in ONE transaction store every value and evaluate
 * the alarm rules; after the commit, append the audit trail and publish live.
 * A batch is stored whole or not at all; a value already stored (same device,
 * metric and timestamp) is kept once and counted as a duplicate.
 */
@Injectable()
export class IngestService {
  constructor(
    private readonly db: Database,
    private readonly devices: DevicesService,
    private readonly alarms: AlarmEvaluator,
    private readonly audit: AuditTrailService,
    private readonly live: LiveReadings,
    private readonly outbox: ForwardingOutbox,
  ) {}

  /**
   * A checked POST /api/ingest body: readings named by uid (from another instance,
   * source `forward`) are mapped to this instance's devices, created on first sight
   * under the caller's client, then stored like any other batch.
   */
  async ingestRequest(request: IngestRequest, scope: ClientScope): Promise<IngestResult> {
    const uids = [...new Set(request.readings.filter((r) => r.deviceUid !== undefined).map((r) => r.deviceUid as string))];
    let readings: ValidReading[] = request.readings;
    if (uids.length) {
      const { ids, created } = await this.devices.resolveUids(scope, uids, (uid) => request.devices.get(uid));
      readings = request.readings.map(({ deviceUid, ...r }) => (deviceUid === undefined ? r : { ...r, deviceId: ids.get(deviceUid) as number }));
      await this.outbox.rememberOrigins(
        created.map((uid) => {
          const d = request.devices.get(uid);
          return { deviceId: ids.get(uid) as number, deviceType: d?.deviceType, driver: d?.driver, clientExternalId: d?.clientExternalId };
        }),
      );
    }
    return this.ingest(readings, scope, request.source);
  }

  async ingest(readings: ValidReading[], scope: ClientScope, source: ReadingSource): Promise<IngestResult> {
    const devices = await this.devices.getMany(scope, [...new Set(readings.map((r) => r.deviceId))]);

    // One row per value; a value repeated inside the batch is sent once.
    const seen = new Set<string>();
    const rows: unknown[] = [];
    let total = 0;
    for (const r of readings) {
      for (const metric in r.metrics) {
        total++;
        const key = `${r.deviceId}|${metric}|${r.ts}`;
        if (seen.has(key)) continue;
        seen.add(key);
        rows.push(r.deviceId, metric, r.ts, r.metrics[metric], source);
      }
    }

    const { stored, outcome, forwarded } = await this.db.transaction(async (m) => {
      const stored = new Set<string>();
      const rowCount = rows.length / 5;
      for (let start = 0; start < rowCount; start += ROWS_PER_STATEMENT) {
        const n = Math.min(ROWS_PER_STATEMENT, rowCount - start);
        // Lower-case "insert" makes TypeORM's SQLite runner return the RETURNING rows; PostgreSQL returns them anyway.
        const sql = `insert into measurements (device_id, metric, ts, value, source) VALUES ${'(?,?,?,?,?),'.repeat(n).slice(0, -1)} ON CONFLICT DO NOTHING RETURNING device_id, metric, ts`;
        const inserted = await this.db.query<{ device_id: number; metric: string; ts: number | string }>(sql, rows.slice(start * 5, (start + n) * 5), m);
        for (const row of inserted) stored.add(`${row.device_id}|${row.metric}|${Number(row.ts)}`);
      }
      const values: StoredValue[] = [];
      const lastSeen = new Map<number, number>();
      for (const r of readings) {
        const clientId = (devices.get(r.deviceId) as { clientId: number }).clientId;
        for (const metric in r.metrics) {
          if (stored.has(`${r.deviceId}|${metric}|${r.ts}`)) values.push({ deviceId: r.deviceId, clientId, metric, ts: r.ts, value: r.metrics[metric] });
        }
        if ((lastSeen.get(r.deviceId) ?? 0) < r.ts) lastSeen.set(r.deviceId, r.ts);
      }
      const outcome = await this.alarms.evaluate(m, values);
      for (const [id, ts] of lastSeen) {
        await m.query(this.db.sql('UPDATE devices SET last_seen_at = ? WHERE id = ? AND (last_seen_at IS NULL OR last_seen_at < ?)'), [ts, id, ts]);
      }
      // The forwarding outbox, in this same transaction: only values stored now (never duplicates).
      const forwarded = this.outbox.active ? await this.outbox.enqueue(m, storedReadings(readings, stored)) : { bytes: 0, overflowed: false };
      return { stored, outcome, forwarded };
    });
    this.outbox.committed(forwarded);

    // After the commit: the audit trail and live subscribers only ever see stored readings.
    const auditEntries: AuditEntry[] = [];
    const liveReadings: LiveReading[] = [];
    const written = new Set<string>();
    for (const r of readings) {
      const metrics: Record<string, number> = {};
      let any = false;
      for (const metric in r.metrics) {
        const key = `${r.deviceId}|${metric}|${r.ts}`;
        if (stored.has(key) && !written.has(key)) {
          written.add(key);
          metrics[metric] = r.metrics[metric];
          any = true;
        }
      }
      if (!any) continue;
      const device = devices.get(r.deviceId) as { uid: string; clientId: number };
      auditEntries.push({ ts: new Date(r.ts).toISOString(), deviceId: r.deviceId, deviceUid: device.uid, source, metrics, ...(r.extra && { extra: r.extra }) });
      liveReadings.push({ deviceId: r.deviceId, clientId: device.clientId, ts: r.ts, source, metrics });
    }
    await this.audit.append(auditEntries);
    this.live.publish(liveReadings);

    return { readings: readings.length, stored: stored.size, duplicates: total - stored.size, alarmEvents: outcome.raised, alarmsCleared: outcome.cleared };
  }
}

/** The newly stored values grouped as readings (one per device and instant), each value once. */
function storedReadings(readings: ValidReading[], stored: Set<string>): OutboxReading[] {
  const byKey = new Map<string, OutboxReading>();
  for (const r of readings) {
    for (const metric in r.metrics) {
      if (!stored.has(`${r.deviceId}|${metric}|${r.ts}`)) continue;
      const key = `${r.deviceId}|${r.ts}`;
      let reading = byKey.get(key);
      if (!reading) byKey.set(key, (reading = { deviceId: r.deviceId, ts: r.ts, metrics: {} }));
      if (!(metric in reading.metrics)) reading.metrics[metric] = r.metrics[metric];
    }
  }
  return [...byKey.values()];
}
