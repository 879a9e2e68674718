import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { CombinedStatements, Database } from '../database/database.service';
import type { AuditRecord } from './audit-chain';

/** An audit line before the chain gives it its place (seq) and its link to the line before (prev). */
export type AuditEntry = Omit<AuditRecord, 'seq' | 'prev'>;

/** A batch of entries whose outbox row is committed; its lines go to the file next. */
export interface AuditBatch {
  /** The audit_outbox row that keeps the entries until their lines are in the file. */
  id: number;
  entries: AuditEntry[];
}

/** Ids per DELETE statement; readings per value look-up at start. */
const IDS_PER_STATEMENT = 500;

/**
 * The audit trail's outbox: one row per batch, written in the transaction that stores what
 * the batch describes (readings, a purge, a reset), so that a reading can never be committed
 * without the means to write its line. The row goes once its lines are in the file (and the
 * file is synced); rows still there at start are what a stop cut off, and are written then.
 *
 * A row names its readings (device, instant, metric names) but not their values: those are in
 * the measurements table, committed in the same transaction, and are read back from there at
 * start. That keeps the row small (the outbox costs every batch one INSERT of about 1 KB).
 *
 * Rows carry the trail they belong to: instances sharing one PostgreSQL database each keep a
 * trail of their own, and complete only their own at start.
 */
@Injectable()
export class AuditOutbox {
  constructor(private readonly db: Database) {}

  /**
   * Inside the caller's transaction, after the values the entries name are stored; the new row's id.
   * `encoded`: encodeAuditEntries(entries), when the caller worked it out before its transaction;
   * `with`: the caller's other statements, sent together with this one (Database.combined).
   */
  add(m: EntityManager, trail: string, entries: AuditEntry[], options: { encoded?: string; with?: CombinedStatements } = {}): Promise<number> {
    const sql = 'INSERT INTO audit_outbox (trail, entries, created_at) VALUES (?, ?, ?)';
    const params = [trail, options.encoded ?? encodeAuditEntries(entries), Date.now()];
    return options.with ? options.with.insertId(sql, params) : this.db.insertReturningId(sql, params, m);
  }

  /**
   * The trail's rows, oldest first, with the values read back from the measurements. A reading
   * whose values are no longer stored (its device was purged since) is left out and counted.
   */
  async pending(trail: string): Promise<{ batches: AuditBatch[]; purged: number }> {
    const rows = await this.db.query<{ id: number | string; entries: string }>('SELECT id, entries FROM audit_outbox WHERE trail = ? ORDER BY id', [trail]);
    const batches: AuditBatch[] = [];
    let purged = 0;
    for (const row of rows) {
      const outline = decodeAuditOutline(row.entries);
      const values = await this.storedValues(outline);
      const entries: AuditEntry[] = [];
      for (const e of outline) {
        const metrics: Record<string, number> = {};
        let found = 0;
        for (const name of e.names) {
          const value = values.get(`${e.deviceId}|${e.ts}|${name}`);
          if (value === undefined) continue;
          metrics[name] = value;
          found++;
        }
        if (e.names.length > 0 && found === 0) {
          purged++;
          continue;
        }
        entries.push({ ts: new Date(e.ts).toISOString(), deviceId: e.deviceId, deviceUid: e.deviceUid, source: e.source, metrics, ...e.rest });
      }
      batches.push({ id: Number(row.id), entries });
    }
    return { batches, purged };
  }

  /** device|ts|metric -> value, for the readings the outline names. */
  private async storedValues(outline: OutlinedEntry[]): Promise<Map<string, number>> {
    const byDevice = new Map<number, number[]>();
    for (const e of outline) {
      if (e.names.length === 0) continue;
      let list = byDevice.get(e.deviceId);
      if (!list) byDevice.set(e.deviceId, (list = []));
      list.push(e.ts);
    }
    const values = new Map<string, number>();
    for (const [deviceId, instants] of byDevice) {
      for (let start = 0; start < instants.length; start += IDS_PER_STATEMENT) {
        const chunk = instants.slice(start, start + IDS_PER_STATEMENT);
        const rows = await this.db.query<{ ts: number | string; metric: string; value: number | string }>(
          `SELECT ts, metric, value FROM measurements WHERE device_id = ? AND ts IN (${chunk.map(() => '?').join(',')})`,
          [deviceId, ...chunk],
        );
        for (const r of rows) values.set(`${deviceId}|${Number(r.ts)}|${r.metric}`, Number(r.value));
      }
    }
    return values;
  }

  /** The rows whose lines are in the file (and synced to disk). */
  async remove(ids: number[]): Promise<void> {
    if (ids.length === 0) return;
    await this.db.transaction(async (m) => {
      for (let start = 0; start < ids.length; start += IDS_PER_STATEMENT) {
        const chunk = ids.slice(start, start + IDS_PER_STATEMENT);
        await this.db.execute(`DELETE FROM audit_outbox WHERE id IN (${chunk.map(() => '?').join(',')})`, chunk, m);
      }
    });
  }
}

/** What an outbox row says of an entry: everything but the values (see AuditOutbox). */
export interface OutlinedEntry {
  deviceId: number;
  deviceUid: string;
  /** Epoch ms. */
  ts: number;
  source: string;
  /** The metrics stored, in the order of the line. */
  names: string[];
  /** extra, event, actor, purgedValues and deleted, when the entry has any. */
  rest?: Pick<AuditEntry, 'extra' | 'event' | 'actor' | 'purgedValues' | 'deleted'>;
}

/**
 * The row's text. Device uids, sources and metric-name lists are listed once; each entry is
 * [deviceId, ms after t0, source index, names index, rest?].
 */
interface EncodedEntries {
  t0: number;
  uids: Record<string, string>;
  sources: string[];
  names: string[][];
  entries: Array<[number, number, number, number] | [number, number, number, number, OutlinedEntry['rest']]>;
}

export function encodeAuditEntries(entries: AuditEntry[]): string {
  const t0 = entries.length ? Date.parse(entries[0].ts) : 0;
  const out: EncodedEntries = { t0, uids: {}, sources: [], names: [], entries: [] };
  const sourceIndex = new Map<string, number>();
  const namesIndex = new Map<string, number>();
  for (const e of entries) {
    out.uids[e.deviceId] = e.deviceUid;
    let s = sourceIndex.get(e.source);
    if (s === undefined) sourceIndex.set(e.source, (s = out.sources.push(e.source) - 1));
    const names = Object.keys(e.metrics);
    const key = names.join(',');
    let n = namesIndex.get(key);
    if (n === undefined) namesIndex.set(key, (n = out.names.push(names) - 1));
    const ts = Date.parse(e.ts) - t0;
    if (e.extra === undefined && e.event === undefined && e.actor === undefined && e.purgedValues === undefined && e.deleted === undefined)
      out.entries.push([e.deviceId, ts, s, n]);
    else out.entries.push([e.deviceId, ts, s, n, { extra: e.extra, event: e.event, actor: e.actor, purgedValues: e.purgedValues, deleted: e.deleted }]);
  }
  return JSON.stringify(out);
}

export function decodeAuditOutline(text: string): OutlinedEntry[] {
  const encoded = JSON.parse(text) as EncodedEntries;
  return encoded.entries.map(([deviceId, ts, s, n, rest]) => ({
    deviceId,
    deviceUid: encoded.uids[deviceId],
    ts: encoded.t0 + ts,
    source: encoded.sources[s],
    names: encoded.names[n],
    ...(rest && { rest }),
  }));
}
