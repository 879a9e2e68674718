import { createReadStream, existsSync } from 'node:fs';
import { FileHandle, open } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { sha256 } from '../common/sha256';

/** The hash that the first line of a new audit trail points back to. */
export const GENESIS_HASH = '0'.repeat(64);

export type AuditEvent = 'energy-reset' | 'device-purged' | 'retention-deleted' | 'pzem-address-changed' | 'pzem-alarm-threshold';

/**
 * What a `retention-deleted` line says was deleted: the device's stored values of these metrics
 * from `from` to `to` (both included, and within one UTC day), `count` of them, and the checksum
 * of their (metric, instant, value) computed as audit-verify computes it (ValueChecksum), so that
 * audit-verify can take them out of what the trail expects the database to hold.
 */
export interface DeletedValues {
  /** Raw readings past the retention (`retention`), or a whole month's partition dropped on PostgreSQL (`partition-dropped`). */
  reason: 'retention' | 'partition-dropped';
  metrics: string[];
  from: string;
  to: string;
  count: number;
  checksum: string;
}

export interface AuditRecord {
  seq: number;
  ts: string;
  deviceId: number;
  deviceUid: string;
  source: string;
  metrics: Record<string, number>;
  /** Context the sender attached to the reading, if any. */
  extra?: Record<string, unknown>;
  /**
   * Set on a line that records a command, not a reading (metrics is then empty): `energy-reset`
   * when a meter's energy counter was set back to 0; `device-purged` when a device was deleted
   * with its readings (the lines before it are then no longer in the database, on purpose);
   * `pzem-address-changed` / `pzem-alarm-threshold` when a PZEM's address or alarm threshold was
   * written (`extra` holds what was written).
   */
  event?: AuditEvent;
  /** Who gave the command of an event line. */
  actor?: string;
  /** On a `device-purged` line: how many stored values were deleted with the device. */
  purgedValues?: number;
  /** On a `retention-deleted` line: which stored values the retention job deleted. */
  deleted?: DeletedValues;
  /** SHA-256 (hex) of the previous line's full text. */
  prev: string;
}

/**
 * A line is the record plus `hash`, the SHA-256 of the record's JSON. The next
 * line's `prev` is the SHA-256 of this whole line. Editing a line breaks its own
 * hash; inserting or deleting one breaks the next line's `prev`; and `seq` names
 * the gap.
 */
export function formatAuditLine(record: AuditRecord): string {
  const body = JSON.stringify(record);
  return `${body.slice(0, -1)},"hash":"${sha256(body)}"}`;
}

export interface ChainHead {
  seq: number;
  hash: string;
}

/** Reads where the trail ends, so that a restarted server extends the same chain. */
export async function readChainHead(path: string): Promise<ChainHead> {
  const [last] = await readLastLines(path, 1);
  if (last === undefined) return { seq: 0, hash: GENESIS_HASH };
  let record: AuditRecord;
  try {
    record = JSON.parse(last) as AuditRecord;
  } catch {
    throw new Error(
      `the last line of the audit trail at ${path} is not an audit line (${JSON.stringify(last.slice(0, 80))}...); check the file with npm run audit:verify`,
    );
  }
  return { seq: record.seq, hash: sha256(last) };
}

const CHUNK = 64 * 1024;
const NEWLINE = 0x0a;

/**
 * The last n complete lines of the file (fewer when it has fewer), read backwards in chunks so
 * that only the tail is read however long the trail is. A torn line after the last newline is
 * not a line.
 */
export async function readLastLines(path: string, n: number): Promise<string[]> {
  if (n <= 0 || !existsSync(path)) return [];
  const handle = await open(path, 'r');
  try {
    let end = await completeLength(handle);
    const chunks: Buffer[] = [];
    let newlines = 0;
    // One newline more than n lines need: the one that ends the line before the first of them.
    while (end > 0 && newlines <= n) {
      const start = Math.max(0, end - CHUNK);
      const chunk = Buffer.alloc(end - start);
      await handle.read(chunk, 0, chunk.length, start);
      for (const byte of chunk) if (byte === NEWLINE) newlines++;
      chunks.unshift(chunk);
      end = start;
    }
    const lines = Buffer.concat(chunks).toString('utf8').split('\n');
    lines.pop(); // after the last newline: empty
    return lines.slice(-n);
  } finally {
    await handle.close();
  }
}

/** The length of the file up to and including its last newline. */
async function completeLength(handle: FileHandle): Promise<number> {
  const { size } = await handle.stat();
  let end = size;
  while (end > 0) {
    const start = Math.max(0, end - CHUNK);
    const chunk = Buffer.alloc(end - start);
    await handle.read(chunk, 0, chunk.length, start);
    const at = chunk.lastIndexOf(NEWLINE);
    if (at >= 0) return start + at + 1;
    end = start;
  }
  return 0;
}

/** Bytes of the file's complete lines (up to its last newline); 0 when there is no file. */
export async function completeLinesLength(path: string): Promise<number> {
  if (!existsSync(path)) return 0;
  const handle = await open(path, 'r');
  try {
    return await completeLength(handle);
  } finally {
    await handle.close();
  }
}

/**
 * A line cut short (the process died or the disk filled while it was written) is removed, so
 * that the trail ends with a complete line and the chain goes on from it. Returns the bytes
 * removed (0 when the trail already ended with a complete line).
 */
export async function truncateTornLine(path: string): Promise<number> {
  if (!existsSync(path)) return 0;
  const handle = await open(path, 'r+');
  try {
    const { size } = await handle.stat();
    const complete = await completeLength(handle);
    if (complete === size) return 0;
    await handle.truncate(complete);
    await handle.sync();
    return size - complete;
  } finally {
    await handle.close();
  }
}

/**
 * What identifies a line's reading within the trail: a device's values at one instant are
 * stored once per metric, so no two reading lines share device, instant and metric names; an
 * event line is told apart by its event and actor.
 */
export function auditEntryKey(entry: Pick<AuditRecord, 'deviceId' | 'ts' | 'metrics' | 'event' | 'actor' | 'deleted'>): string {
  // One retention run writes several lines per device at the same instant: what each deleted tells them apart.
  const deleted = entry.deleted ? `|${entry.deleted.from}|${entry.deleted.to}|${entry.deleted.checksum}` : '';
  return `${entry.deviceId}|${entry.ts}|${entry.event ?? ''}|${entry.actor ?? ''}|${Object.keys(entry.metrics).sort().join(',')}${deleted}`;
}

export type VerifyResult = { ok: true; lines: number } | { ok: false; line: number; reason: string; lines: number };

/** Walks the whole trail; stops at the first line that does not belong to the chain. */
export async function verifyAuditChain(path: string): Promise<VerifyResult> {
  if (!existsSync(path)) return { ok: false, line: 0, reason: `audit log not found at ${path}`, lines: 0 };
  const lines = createInterface({ input: createReadStream(path, 'utf8'), crlfDelay: Infinity });
  let expectedPrev = GENESIS_HASH;
  let expectedSeq = 1;
  let n = 0;
  for await (const line of lines) {
    n++;
    let parsed: AuditRecord & { hash?: string };
    try {
      parsed = JSON.parse(line);
    } catch {
      return { ok: false, line: n, reason: 'not a JSON line', lines: n - 1 };
    }
    const { hash, ...record } = parsed;
    if (hash !== sha256(JSON.stringify(record))) return { ok: false, line: n, reason: 'line content does not match its hash (edited)', lines: n - 1 };
    if (record.prev !== expectedPrev)
      return { ok: false, line: n, reason: 'previous-line hash does not match (a line before it was edited, inserted or deleted)', lines: n - 1 };
    if (record.seq !== expectedSeq)
      return { ok: false, line: n, reason: `sequence ${record.seq} where ${expectedSeq} was expected (lines missing)`, lines: n - 1 };
    expectedPrev = sha256(line);
    expectedSeq++;
  }
  return { ok: true, lines: n };
}
