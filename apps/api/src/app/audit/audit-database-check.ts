import { createReadStream, existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { Client as PgClient } from 'pg';
import * as sqlite3 from 'sqlite3';
import { sha256 } from '../common/sha256';
import { DAY_MS } from '../common/time-zones';
import type { DatabaseSettings } from '../config/app-config';
import { AuditRecord, auditEntryKey, completeLinesLength, DeletedValues } from './audit-chain';
import { AuditEntry, decodeAuditOutline } from './audit-outbox';

/** Values listed per device and kind (missing, not stored) when they disagree; the rest are counted. */
export const LISTED_PER_DEVICE = 10;
const PAGE = 20_000;

/** One stored value: a metric of a device at an instant. */
export interface ValueRef {
  metric: string;
  ts: number;
  value: number;
  /** When the database holds another value for the same metric and instant. */
  databaseValue?: number;
}

export interface Tally {
  count: number;
  /** Order-independent: the sum (mod 2^64, as two 32-bit halves) of a hash of each value's metric, instant and value. */
  checksum: string;
}

export interface DeviceDisagreement {
  deviceId: number;
  /** Null when the device is no longer in the database. */
  uid: string | null;
  database: Tally;
  auditTrail: Tally;
  /** Values in the database that have no audit line (the first LISTED_PER_DEVICE, oldest first). */
  missingLines: ValueRef[];
  missingLinesCount: number;
  /** Values the audit trail names that the database does not hold (or holds with another value). */
  notStored: ValueRef[];
  notStoredCount: number;
  /** Retention lines whose count and checksum do not match the audited values in their range that are gone (beyond one value found and named above). */
  retentionMismatches: Array<{ deleted: DeletedValues; goneCount: number }>;
}

export interface AuditDatabaseReport {
  ok: boolean;
  /** Devices with values in the database. */
  devices: number;
  /** Values in the database. */
  values: number;
  /** Values committed whose lines still wait in the audit outbox (the server writes them next). */
  waiting: number;
  /** Values whose lines were appended while the check ran (after its snapshot of the database). */
  appendedMeanwhile: number;
  /** Devices deleted with their readings (a device-purged line): their lines are not expected in the database. */
  purgedDevices: number;
  /** Values the retention job deleted, as its retention-deleted lines record (not expected in the database either). */
  retentionDeleted: number;
  disagreements: DeviceDisagreement[];
}

/**
 * The order-independent checksum of a set of stored values (metric, instant, value): their count
 * and the sum mod 2^64 of a hash of each. The retention job computes it over what it deletes and
 * writes it in its audit line; audit-verify subtracts it from what the trail expects.
 */
export class ValueChecksum {
  count = 0;
  private hi = 0;
  private lo = 0;

  static of(tally: Tally): ValueChecksum {
    const sum = new ValueChecksum();
    sum.count = tally.count;
    sum.hi = parseInt(tally.checksum.slice(0, 8), 16);
    sum.lo = parseInt(tally.checksum.slice(8, 16), 16);
    return sum;
  }

  add(metric: string, ts: number, value: number): void {
    const h = sha256(`${metric}|${ts}|${value}`);
    this.count++;
    const lo = this.lo + parseInt(h.slice(8, 16), 16);
    this.lo = lo >>> 0;
    this.hi = (this.hi + parseInt(h.slice(0, 8), 16) + (lo > 0xffffffff ? 1 : 0)) >>> 0;
  }

  merge(other: ValueChecksum): void {
    this.count += other.count;
    const lo = this.lo + other.lo;
    this.lo = lo >>> 0;
    this.hi = (this.hi + other.hi + (lo > 0xffffffff ? 1 : 0)) >>> 0;
  }

  subtract(other: ValueChecksum): void {
    this.count -= other.count;
    const lo = this.lo - other.lo;
    this.lo = lo >>> 0;
    this.hi = (this.hi - other.hi - (lo < 0 ? 1 : 0)) >>> 0;
  }

  /** No values (or values and their deletion cancelling out). */
  get empty(): boolean {
    return this.count === 0 && this.hi === 0 && this.lo === 0;
  }

  equals(other: ValueChecksum | undefined): boolean {
    if (other === undefined) return this.empty;
    return this.count === other.count && this.hi === other.hi && this.lo === other.lo;
  }

  tally(): Tally {
    return { count: this.count, checksum: this.hi.toString(16).padStart(8, '0') + this.lo.toString(16).padStart(8, '0') };
  }
}

/** Per device, per UTC day: so that a disagreement is looked up value by value only in the days it is in. */
class Tallies {
  readonly byDevice = new Map<number, Map<number, ValueChecksum>>();

  add(deviceId: number, metric: string, ts: number, value: number): void {
    let days = this.byDevice.get(deviceId);
    if (!days) this.byDevice.set(deviceId, (days = new Map()));
    const day = Math.floor(ts / DAY_MS);
    let sum = days.get(day);
    if (!sum) days.set(day, (sum = new ValueChecksum()));
    sum.add(metric, ts, value);
  }

  /** Values deleted on purpose (a retention-deleted line): no longer expected on their day. */
  subtract(deviceId: number, day: number, deleted: ValueChecksum): void {
    let days = this.byDevice.get(deviceId);
    if (!days) this.byDevice.set(deviceId, (days = new Map()));
    let sum = days.get(day);
    if (!sum) days.set(day, (sum = new ValueChecksum()));
    sum.subtract(deleted);
  }

  total(deviceId: number): ValueChecksum {
    const sum = new ValueChecksum();
    for (const s of this.byDevice.get(deviceId)?.values() ?? []) sum.merge(s);
    return sum;
  }
}

/** Reads inside one snapshot of the database, on a connection of its own (the server may be running). */
interface Snapshot {
  rows<T>(sql: string, params?: unknown[]): Promise<T[]>;
  hasTable(name: string): Promise<boolean>;
  close(): Promise<void>;
}

async function openSnapshot(database: DatabaseSettings): Promise<Snapshot> {
  if (database.type === 'postgres') {
    const client = new PgClient({ connectionString: database.url });
    await client.connect();
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const rows = async <T>(sql: string, params: unknown[] = []) => {
      let n = 0;
      return (
        await client.query(
          sql.replace(/\?/g, () => `$${++n}`),
          params,
        )
      ).rows as T[];
    };
    return {
      rows,
      hasTable: async (name) => (await rows<{ t: string | null }>('SELECT to_regclass(?) AS t', [name]))[0].t !== null,
      close: async () => {
        await client.query('ROLLBACK').catch(() => undefined);
        await client.end();
      },
    };
  }
  if (!existsSync(database.path)) throw new Error(`no database at ${database.path}`);
  const db = await new Promise<sqlite3.Database>((ok, fail) => {
    const c: sqlite3.Database = new sqlite3.Database(database.path, sqlite3.OPEN_READONLY, (err) => (err ? fail(err) : ok(c)));
  });
  db.configure('busyTimeout', 10_000);
  const rows = <T>(sql: string, params: unknown[] = []) => new Promise<T[]>((ok, fail) => db.all(sql, params, (err, r) => (err ? fail(err) : ok(r as T[]))));
  // The read transaction's snapshot is taken at its first read; WAL lets the server write meanwhile.
  await rows('BEGIN');
  return {
    rows,
    hasTable: async (name) => (await rows("SELECT name FROM sqlite_master WHERE type = 'table' AND name = ?", [name])).length > 0,
    close: async () => {
      await rows('ROLLBACK').catch(() => undefined);
      await new Promise<void>((ok) => db.close(() => ok()));
    },
  };
}

/** Calls fn for every value named by the lines in [start, end) of the file, and for every event line. */
async function readValues(
  path: string,
  range: { start: number; end?: number },
  onValue: (deviceId: number, metric: string, ts: number, value: number) => void,
  onEvent?: (record: AuditRecord) => void,
): Promise<void> {
  if (range.end !== undefined && range.end <= range.start) return;
  if (!existsSync(path)) return;
  const input = createReadStream(path, { encoding: 'utf8', start: range.start, ...(range.end !== undefined && { end: range.end - 1 }) });
  for await (const line of createInterface({ input, crlfDelay: Infinity })) {
    if (!line) continue;
    let record: AuditRecord;
    try {
      record = JSON.parse(line);
    } catch {
      continue; // a line being written as the check reads it (the chain check covers the file)
    }
    if (record.event) onEvent?.(record);
    const ts = Date.parse(record.ts);
    for (const metric in record.metrics) onValue(record.deviceId, metric, ts, record.metrics[metric]);
  }
}

const valueKey = (deviceId: number, metric: string, ts: number) => `${deviceId}|${metric}|${ts}`;

/**
 * Whether the audit trail (one file, or one per instance sharing the database) and the database
 * hold the same readings: per device, the count of values and an order-independent checksum of
 * (metric, instant, value); where they differ, the values themselves, day by day.
 *
 * Works while the server runs: the sizes of the files are taken first, then one snapshot of the
 * database. A line within those sizes was written after its commit, so before the snapshot: its
 * value must be in it. A value in the snapshot has its line within those sizes, or in the audit
 * outbox (committed, not yet written), or (a second later) after them: only a value in none of
 * the three is missing its line.
 */
export async function checkAuditAgainstDatabase(files: string[], database: DatabaseSettings): Promise<AuditDatabaseReport> {
  const sizes = await Promise.all(files.map((f) => completeLinesLength(f)));
  const snapshot = await openSnapshot(database);
  try {
    const purged = new Set<number>();
    // Retention deletions, by their line's key: one committed moments ago is in the outbox, in the file, or both.
    const deletions = new Map<string, { deviceId: number; deleted: DeletedValues }>();
    const notePurge = (e: Pick<AuditEntry, 'event' | 'deviceId' | 'ts' | 'metrics' | 'actor' | 'deleted'>) => {
      if (e.event === 'device-purged') purged.add(e.deviceId);
      if (e.event === 'retention-deleted' && e.deleted) deletions.set(auditEntryKey(e), { deviceId: e.deviceId, deleted: e.deleted });
    };

    // Committed batches whose lines may not be in the files yet: their values are the database's own.
    const waiting = new Set<string>();
    if (await snapshot.hasTable('audit_outbox')) {
      for (const row of await snapshot.rows<{ entries: string }>('SELECT entries FROM audit_outbox ORDER BY id')) {
        for (const e of decodeAuditOutline(row.entries)) {
          if (e.rest?.event) notePurge({ ...e.rest, deviceId: e.deviceId, ts: new Date(e.ts).toISOString(), metrics: {} });
          for (const metric of e.names) waiting.add(valueKey(e.deviceId, metric, e.ts));
        }
      }
    }

    const trail = new Tallies();
    for (let i = 0; i < files.length; i++) {
      await readValues(
        files[i],
        { start: 0, end: sizes[i] },
        (deviceId, metric, ts, value) => {
          // Its line is in the file: the outbox row is only waiting for its clean-up.
          waiting.delete(valueKey(deviceId, metric, ts));
          trail.add(deviceId, metric, ts, value);
        },
        notePurge,
      );
    }
    let retentionDeleted = 0;
    for (const { deviceId, deleted } of deletions.values()) {
      trail.subtract(deviceId, Math.floor(Date.parse(deleted.from) / DAY_MS), ValueChecksum.of(deleted));
      retentionDeleted += deleted.count;
    }
    for (const id of purged) trail.byDevice.delete(id);

    const stored = new Tallies();
    const devices = new Set<number>();
    let values = 0;
    let after: [number, string, number] | undefined;
    for (;;) {
      const page = await snapshot.rows<{ device_id: number | string; metric: string; ts: number | string; value: number | string }>(
        `SELECT device_id, metric, ts, value FROM measurements ${after ? 'WHERE (device_id, metric, ts) > (?, ?, ?) ' : ''}ORDER BY device_id, metric, ts LIMIT ${PAGE}`,
        after ?? [],
      );
      for (const r of page) {
        devices.add(Number(r.device_id));
        if (waiting.size && waiting.has(valueKey(Number(r.device_id), r.metric, Number(r.ts)))) continue;
        stored.add(Number(r.device_id), r.metric, Number(r.ts), Number(r.value));
      }
      values += page.length;
      if (page.length < PAGE) break;
      const last = page[page.length - 1];
      after = [Number(last.device_id), last.metric, Number(last.ts)];
    }

    // Devices and days where the two disagree.
    const suspect = new Map<number, Set<number>>();
    for (const id of new Set([...trail.byDevice.keys(), ...stored.byDevice.keys()])) {
      const a = trail.byDevice.get(id) ?? new Map<number, ValueChecksum>();
      const d = stored.byDevice.get(id) ?? new Map<number, ValueChecksum>();
      const same = (x: ValueChecksum | undefined, y: ValueChecksum | undefined) => (x ? x.equals(y) : (y?.empty ?? true));
      const days = new Set([...a.keys(), ...d.keys()].filter((day) => !same(a.get(day), d.get(day))));
      if (days.size) suspect.set(id, days);
    }

    const report: AuditDatabaseReport = {
      ok: true,
      devices: devices.size,
      values,
      waiting: waiting.size,
      appendedMeanwhile: 0,
      purgedDevices: purged.size,
      retentionDeleted,
      disagreements: [],
    };
    if (suspect.size === 0) return report;

    // Value by value in those days: what the trail names, what the database holds, what was appended after the snapshot.
    const named = new Map<number, Map<string, number>>();
    const inSuspectDay = (deviceId: number, ts: number) => suspect.get(deviceId)?.has(Math.floor(ts / DAY_MS)) ?? false;
    const name = (deviceId: number, metric: string, ts: number, value: number) => {
      if (purged.has(deviceId) || !inSuspectDay(deviceId, ts)) return;
      let m = named.get(deviceId);
      if (!m) named.set(deviceId, (m = new Map()));
      m.set(`${metric}|${ts}`, value);
    };
    for (let i = 0; i < files.length; i++) await readValues(files[i], { start: 0, end: sizes[i] }, name);
    const appendedLater = new Set<string>();
    for (let i = 0; i < files.length; i++) {
      await readValues(files[i], { start: sizes[i] }, (deviceId, metric, ts) => {
        if (inSuspectDay(deviceId, ts)) appendedLater.add(valueKey(deviceId, metric, ts));
      });
    }
    const uids = new Map((await snapshot.rows<{ id: number | string; uid: string }>('SELECT id, uid FROM devices')).map((r) => [Number(r.id), r.uid]));

    for (const [deviceId, days] of [...suspect].sort((a, b) => a[0] - b[0])) {
      const expected = named.get(deviceId) ?? new Map<string, number>();
      const disagreement: DeviceDisagreement = {
        deviceId,
        uid: uids.get(deviceId) ?? null,
        database: stored.total(deviceId).tally(),
        auditTrail: trail.total(deviceId).tally(),
        missingLines: [],
        missingLinesCount: 0,
        notStored: [],
        notStoredCount: 0,
        retentionMismatches: [],
      };
      for (const day of [...days].sort((a, b) => a - b)) {
        const rows = await snapshot.rows<{ metric: string; ts: number | string; value: number | string }>(
          'SELECT metric, ts, value FROM measurements WHERE device_id = ? AND ts >= ? AND ts < ? ORDER BY ts, metric',
          [deviceId, day * DAY_MS, (day + 1) * DAY_MS],
        );
        for (const r of rows) {
          const ts = Number(r.ts);
          const value = Number(r.value);
          if (waiting.has(valueKey(deviceId, r.metric, ts))) continue;
          const key = `${r.metric}|${ts}`;
          const audited = expected.get(key);
          expected.delete(key);
          if (audited === value) continue;
          if (audited === undefined) {
            if (appendedLater.has(valueKey(deviceId, r.metric, ts))) report.appendedMeanwhile++;
            else if (disagreement.missingLinesCount++ < LISTED_PER_DEVICE) disagreement.missingLines.push({ metric: r.metric, ts, value });
          } else if (disagreement.notStoredCount++ < LISTED_PER_DEVICE) {
            disagreement.notStored.push({ metric: r.metric, ts, value: audited, databaseValue: value });
          }
        }
      }
      const rest = [...expected]
        .map(([key, value]) => ({ metric: key.slice(0, key.lastIndexOf('|')), ts: Number(key.slice(key.lastIndexOf('|') + 1)), value }))
        .sort((a, b) => a.ts - b.ts);
      for (const v of accountForRetention(
        rest,
        [...deletions.values()].filter((d) => d.deviceId === deviceId),
        days,
        disagreement.retentionMismatches,
      )) {
        if (disagreement.notStoredCount++ < LISTED_PER_DEVICE) disagreement.notStored.push(v);
      }
      if (disagreement.missingLinesCount + disagreement.notStoredCount + disagreement.retentionMismatches.length > 0) report.disagreements.push(disagreement);
    }
    report.ok = report.disagreements.length === 0;
    return report;
  } finally {
    await snapshot.close();
  }
}

/**
 * Of the audited values missing from the database in the suspect days, those a retention line
 * accounts for: per line, the values in its range must add up to its count and checksum. When
 * they come to exactly one value more, that value was deleted by someone else (before retention
 * deleted the rest of its range) and is returned with the unaccounted ones; any other difference
 * is a mismatch of the line. Returns the values no retention line accounts for.
 */
function accountForRetention(
  gone: ValueRef[],
  lines: Array<{ deleted: DeletedValues }>,
  days: Set<number>,
  mismatches: DeviceDisagreement['retentionMismatches'],
): ValueRef[] {
  const inDays = lines.filter((l) => days.has(Math.floor(Date.parse(l.deleted.from) / DAY_MS)));
  const covered = new Map<{ deleted: DeletedValues }, ValueRef[]>(inDays.map((l) => [l, []]));
  const unaccounted: ValueRef[] = [];
  for (const v of gone) {
    const line = inDays.find((l) => v.ts >= Date.parse(l.deleted.from) && v.ts <= Date.parse(l.deleted.to) && l.deleted.metrics.includes(v.metric));
    if (line) (covered.get(line) as ValueRef[]).push(v);
    else unaccounted.push(v);
  }
  for (const [line, values] of covered) {
    const sum = new ValueChecksum();
    for (const v of values) sum.add(v.metric, v.ts, v.value);
    sum.subtract(ValueChecksum.of(line.deleted));
    if (sum.empty) continue;
    const extra =
      sum.count === 1
        ? values.find((v) => {
            const one = new ValueChecksum();
            one.add(v.metric, v.ts, v.value);
            return one.equals(sum);
          })
        : undefined;
    if (extra) unaccounted.push(extra);
    else mismatches.push({ deleted: line.deleted, goneCount: values.length });
  }
  return unaccounted.sort((a, b) => a.ts - b.ts);
}

const n = (x: number) => x.toLocaleString('en');
const at = (v: ValueRef) =>
  `${v.metric} at ${new Date(v.ts).toISOString()} = ${v.value}${v.databaseValue !== undefined ? ` (database: ${v.databaseValue})` : ''}`;

/** The report in the operator's words, one line each. */
export function describeAuditDatabaseReport(report: AuditDatabaseReport, database: string): string[] {
  const notes = [
    ...(report.waiting ? [`${n(report.waiting)} value(s) committed moments ago wait in the database for their lines (the server writes them next)`] : []),
    ...(report.appendedMeanwhile ? [`${n(report.appendedMeanwhile)} value(s) were stored and audited while the check ran`] : []),
    ...(report.purgedDevices ? [`${n(report.purgedDevices)} device(s) deleted with their readings, as their device-purged lines record`] : []),
    ...(report.retentionDeleted
      ? [`${n(report.retentionDeleted)} value(s) deleted by retention, as its retention-deleted lines record (count and checksum)`]
      : []),
  ];
  if (report.ok) {
    return [
      `Database ${database} agrees with the audit trail: ${n(report.values)} value(s) of ${n(report.devices)} device(s), count and checksum equal per device${notes.length ? `; ${notes.join('; ')}` : ''}`,
    ];
  }
  const lines = [`Audit trail and database ${database} DISAGREE on ${report.disagreements.length} device(s):`];
  for (const d of report.disagreements) {
    lines.push(
      `  device ${d.deviceId}${d.uid ? ` (${d.uid})` : ' (no longer in the database)'}: database ${n(d.database.count)} value(s), checksum ${d.database.checksum}; audit trail ${n(d.auditTrail.count)} value(s), checksum ${d.auditTrail.checksum}`,
    );
    if (d.missingLinesCount) {
      lines.push(
        `    ${n(d.missingLinesCount)} stored value(s) with no audit line: ${d.missingLines.map(at).join('; ')}${d.missingLinesCount > d.missingLines.length ? `; and ${n(d.missingLinesCount - d.missingLines.length)} more` : ''}`,
      );
    }
    for (const m of d.retentionMismatches) {
      lines.push(
        `    retention line of ${m.deleted.from} to ${m.deleted.to} (${m.deleted.metrics.join(', ')}) says ${n(m.deleted.count)} value(s) with checksum ${m.deleted.checksum} were deleted; the audit trail has ${n(m.goneCount)} gone in that range that do not add up to it`,
      );
    }
    if (d.notStoredCount) {
      lines.push(
        `    ${n(d.notStoredCount)} audited value(s) not in the database: ${d.notStored.map(at).join('; ')}${d.notStoredCount > d.notStored.length ? `; and ${n(d.notStoredCount - d.notStored.length)} more` : ''}`,
      );
    }
  }
  if (notes.length) lines.push(`  (${notes.join('; ')})`);
  return lines;
}
