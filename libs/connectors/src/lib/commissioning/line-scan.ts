import type { SerialLineSettings } from '../config/device-config';
import { interFrameSilenceMs, characterTimeMs } from '../transport/line-timing';

/** What a scan asks each slave id: one read (default: input register 0, one register). */
export interface ScanProbe {
  function: 3 | 4;
  address: number;
  count: number;
}

export const DEFAULT_SCAN_PROBE: ScanProbe = { function: 4, address: 0, count: 1 };

/** What one probe found out about one slave id. */
export type ProbeOutcome = { answered: 'registers' } | { answered: 'exception'; exceptionCode: number } | { answered: 'none' };

export interface ScanFound {
  id: number;
  answered: 'registers' | 'exception';
  exceptionCode?: number;
  /** How long the probe took, in milliseconds. */
  ms: number;
}

/**
 * Exception codes that a Modbus TCP gateway sends for a slave id nobody answers at (0x0A path
 * unavailable, 0x0B target failed to respond): they say the id is absent, not present.
 */
export const GATEWAY_ABSENT_CODES: ReadonlySet<number> = new Set([0x0a, 0x0b]);

/** An outcome as a scan counts it: any answer, an exception too, means a device is there, except a gateway's "nobody there". */
export function foundFrom(id: number, outcome: ProbeOutcome, ms: number): ScanFound | null {
  if (outcome.answered === 'none') return null;
  if (outcome.answered === 'exception') {
    if (GATEWAY_ABSENT_CODES.has(outcome.exceptionCode)) return null;
    return { id, answered: 'exception', exceptionCode: outcome.exceptionCode, ms };
  }
  return { id, answered: 'registers', ms };
}

/** Bytes of the probe request (address, FC, start, count, CRC) and of the shortest reply (an exception). */
const PROBE_REQUEST_BYTES = 8;

/**
 * The longest a scan of `ids` slave ids can take: every id silent, so each costs its request on the
 * wire, the silence before it and the whole timeout. Over Modbus TCP (no serial settings) only the timeouts.
 */
export function scanWorstCaseMs(ids: number, timeoutMs: number, serial: SerialLineSettings | null): number {
  const wire = serial ? PROBE_REQUEST_BYTES * characterTimeMs(serial) + interFrameSilenceMs(serial) : 0;
  return ids * (timeoutMs + wire);
}

/** "247 ids × 1000 ms timeout at 9600 8N1: at most 4 min 10 s", for the scan's answer and the console. */
export function describeScanEstimate(ids: number, timeoutMs: number, serial: SerialLineSettings | null): string {
  const total = scanWorstCaseMs(ids, timeoutMs, serial);
  const where = serial
    ? ` at ${serial.baudRate} ${serial.dataBits}${serial.parity === 'none' ? 'N' : serial.parity === 'even' ? 'E' : 'O'}${serial.stopBits}`
    : '';
  const perId = serial ? ` plus ${(PROBE_REQUEST_BYTES * characterTimeMs(serial) + interFrameSilenceMs(serial)).toFixed(1)} ms on the wire` : '';
  return `${ids} ids × ${timeoutMs} ms timeout${perId}${where}: at most ${formatDuration(total)} when none answers`;
}

export function formatDuration(ms: number): string {
  const s = Math.ceil(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  return s % 60 === 0 ? `${m} min` : `${m} min ${s % 60} s`;
}

export interface ScanProgressSnapshot {
  scanned: number;
  total: number;
  found: ScanFound[];
  /** Estimated time left in milliseconds: the ids left × the mean time per id so far (the worst case before the first). */
  estimatedMsLeft: number;
}

/** The running tally of a scan. */
export class ScanProgress {
  private scannedIds = 0;
  private spentMs = 0;
  readonly found: ScanFound[] = [];

  constructor(
    readonly total: number,
    private readonly worstPerIdMs: number,
  ) {}

  record(id: number, outcome: ProbeOutcome, ms: number): ScanFound | null {
    this.scannedIds += 1;
    this.spentMs += ms;
    const found = foundFrom(id, outcome, ms);
    if (found) this.found.push(found);
    return found;
  }

  snapshot(): ScanProgressSnapshot {
    const left = this.total - this.scannedIds;
    const perId = this.scannedIds === 0 ? this.worstPerIdMs : this.spentMs / this.scannedIds;
    return { scanned: this.scannedIds, total: this.total, found: [...this.found], estimatedMsLeft: Math.round(left * perId) };
  }
}

/**
 * Probes the ids from..to one after the other (never two at once: each probe is one transaction
 * on the line's queue, so a poller's reads slip in between), reporting after each; stops early when
 * `signal` is aborted. A probe that throws (the line cannot be opened) ends the scan with that error.
 */
export async function runLineScan(options: {
  from: number;
  to: number;
  probe: (id: number) => Promise<ProbeOutcome>;
  worstPerIdMs: number;
  signal?: AbortSignal;
  onProgress?: (progress: ScanProgressSnapshot, found: ScanFound | null) => void;
  now?: () => number;
}): Promise<ScanProgressSnapshot & { cancelled: boolean }> {
  const now = options.now ?? (() => performance.now());
  const progress = new ScanProgress(options.to - options.from + 1, options.worstPerIdMs);
  for (let id = options.from; id <= options.to; id++) {
    if (options.signal?.aborted) return { ...progress.snapshot(), cancelled: true };
    const started = now();
    const outcome = await options.probe(id);
    const found = progress.record(id, outcome, Math.round((now() - started) * 10) / 10);
    options.onProgress?.(progress.snapshot(), found);
  }
  return { ...progress.snapshot(), cancelled: options.signal?.aborted === true && progress.snapshot().scanned < progress.total };
}
