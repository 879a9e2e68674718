import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { Database } from '../database/database.service';
import type { AuditRecord } from './audit-chain';

/** An audit line before the chain gives it its place (seq) and its link to the line before (prev). */
export type AuditEntry = Omit<AuditRecord, 'seq' | 'prev'>;

/** A batch of entries whose outbox row is committed; its lines go to the file next. */
export interface AuditBatch {
  /** The audit_outbox row that keeps the entries until their lines are in the file. */
  id: number;
  entries: AuditEntry[];
}

/** Ids per DELETE statement. */
const IDS_PER_STATEMENT = 500;

/**
 * The audit trail's outbox: one row per batch, written in the transaction that stores what
 * the batch describes (readings, a purge, a reset), so that a reading can never be committed
 * without the means to write its line. The row goes once its lines are in the file (and the
 * file is synced); rows still there at start are what a stop cut off, and are written then.
 *
 * Rows carry the trail they belong to: instances sharing one PostgreSQL database each keep a
 * trail of their own, and complete only their own at start.
 */
@Injectable()
export class AuditOutbox {
  constructor(private readonly db: Database) {}

  /** Inside the caller's transaction; the new row's id. */
  add(m: EntityManager, trail: string, entries: AuditEntry[]): Promise<number> {
    return this.db.insertReturningId('INSERT INTO audit_outbox (trail, entries, created_at) VALUES (?, ?, ?)', [trail, encodeAuditEntries(entries), Date.now()], m);
  }

  /** The trail's rows, oldest first. */
  async pending(trail: string): Promise<AuditBatch[]> {
    const rows = await this.db.query<{ id: number | string; entries: string }>('SELECT id, entries FROM audit_outbox WHERE trail = ? ORDER BY id', [trail]);
    return rows.map((r) => ({ id: Number(r.id), entries: decodeAuditEntries(r.entries) }));
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

/**
 * The row's text: compact, because it is written with every batch. Device uids, sources and
 * metric-name lists are listed once; each entry is [deviceId, epoch ms, source index, names
 * index, values, rest?] where rest holds extra, event, actor and purgedValues when present.
 */
interface EncodedEntries {
  uids: Record<string, string>;
  sources: string[];
  names: string[][];
  entries: Array<[number, number, number, number, number[]] | [number, number, number, number, number[], Partial<AuditEntry>]>;
}

export function encodeAuditEntries(entries: AuditEntry[]): string {
  const out: EncodedEntries = { uids: {}, sources: [], names: [], entries: [] };
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
    const values = names.map((name) => e.metrics[name]);
    const hasRest = e.extra !== undefined || e.event !== undefined || e.actor !== undefined || e.purgedValues !== undefined;
    if (!hasRest) out.entries.push([e.deviceId, Date.parse(e.ts), s, n, values]);
    else out.entries.push([e.deviceId, Date.parse(e.ts), s, n, values, { extra: e.extra, event: e.event, actor: e.actor, purgedValues: e.purgedValues }]);
  }
  return JSON.stringify(out);
}

/** The entries exactly as they were encoded: same fields, same order of metrics, so the same lines. */
export function decodeAuditEntries(text: string): AuditEntry[] {
  const encoded = JSON.parse(text) as EncodedEntries;
  return encoded.entries.map(([deviceId, ts, s, n, values, rest]) => {
    const metrics: Record<string, number> = {};
    encoded.names[n].forEach((name, i) => (metrics[name] = values[i]));
    const entry: AuditEntry = { ts: new Date(ts).toISOString(), deviceId, deviceUid: encoded.uids[deviceId], source: encoded.sources[s], metrics };
    if (rest?.extra !== undefined) entry.extra = rest.extra;
    if (rest?.event !== undefined) entry.event = rest.event;
    if (rest?.actor !== undefined) entry.actor = rest.actor;
    if (rest?.purgedValues !== undefined) entry.purgedValues = rest.purgedValues;
    return entry;
  });
}
