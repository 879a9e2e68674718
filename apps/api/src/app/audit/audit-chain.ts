import { createReadStream, existsSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { sha256 } from '../common/sha256';

/** The hash that the first line of a new audit trail points back to. */
export const GENESIS_HASH = '0'.repeat(64);

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
   * Set on a line that records a command changing what the meter will report, not a reading
   * (metrics is then empty): `energy-reset` when a meter's energy counter was set back to 0.
   */
  event?: 'energy-reset';
  /** Who gave the command of an event line. */
  actor?: string;
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
  if (!existsSync(path)) return { seq: 0, hash: GENESIS_HASH };
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    if (size === 0) return { seq: 0, hash: GENESIS_HASH };
    // Lines are short; the last 256 KiB always hold the last complete line.
    const length = Math.min(size, 256 * 1024);
    const buffer = Buffer.alloc(length);
    await handle.read(buffer, 0, length, size - length);
    const lines = buffer.toString('utf8').split('\n').filter((l) => l.length > 0);
    const last = lines[lines.length - 1];
    const record = JSON.parse(last) as AuditRecord;
    return { seq: record.seq, hash: sha256(last) };
  } finally {
    await handle.close();
  }
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
    if (record.prev !== expectedPrev) return { ok: false, line: n, reason: 'previous-line hash does not match (a line before it was edited, inserted or deleted)', lines: n - 1 };
    if (record.seq !== expectedSeq) return { ok: false, line: n, reason: `sequence ${record.seq} where ${expectedSeq} was expected (lines missing)`, lines: n - 1 };
    expectedPrev = sha256(line);
    expectedSeq++;
  }
  return { ok: true, lines: n };
}
