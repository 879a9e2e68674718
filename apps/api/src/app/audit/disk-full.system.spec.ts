import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { apiCall, ApiProcess, requireBuiltApi, startApiProcess, stopApiProcess } from '../../testing/api-process';
import { auditedKeys, batchBody, batchKeys, firstMissing, postBatch, runAuditVerify, storedKeys } from '../../testing/audit-kit';
import { waitFor } from '../../testing/wait';

/**
 * The data directory (database and audit trail) on an 8 MiB tmpfs, filled through POST /api/ingest
 * by four senders at once until the disk is full:
 * - no batch is answered 2xx unless it is committed and audited: every acknowledged reading is in
 *   the database after a crash and a restart, and has its audit line;
 * - while the disk is full, batches are answered 507 with a message naming the disk, and
 *   /api/health says so;
 * - once space is freed (a filler file deleted), the running server accepts readings again by
 *   itself, and every refused batch can be sent again;
 * - after a kill -9 and a torn line at the end of the audit trail the server starts, and
 *   npm run audit:verify finds the trail and the database in agreement.
 * Needs root (mount -t tmpfs); without it the suite fails saying so, it is never skipped.
 */
jest.setTimeout(120_000);

const ADMIN = { email: 'admin@disk-full.test', password: 'disk-full-password-1' };
const SENDERS = 4;
/** Refusals in a row that show the disk is full (not one unlucky batch). */
const FULL_AFTER_REFUSALS = 12;

describe('ingest on a full disk (8 MiB tmpfs)', () => {
  const mountPoint = mkdtempSync(join(tmpdir(), 'pieng-tmpfs-'));
  let mounted = false;
  let api: ApiProcess | undefined;

  beforeAll(() => {
    requireBuiltApi();
    if (process.getuid?.() !== 0) {
      throw new Error('This suite mounts an 8 MiB tmpfs as the data directory (mount -t tmpfs) and needs root: run npm run test:system as root');
    }
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=8m,mode=0700', 'tmpfs', mountPoint], { stdio: 'pipe' });
      mounted = true;
    } catch (err) {
      throw new Error(
        `This suite needs to mount an 8 MiB tmpfs at ${mountPoint} (mount -t tmpfs, as root) and could not: ${(err as { stderr?: Buffer }).stderr?.toString().trim() || (err as Error).message}`,
      );
    }
  });
  afterAll(async () => {
    if (api) await stopApiProcess(api, 'SIGKILL');
    if (mounted) execFileSync('umount', [mountPoint]);
    rmSync(mountPoint, { recursive: true, force: true });
  });

  it('answers 507 while full, loses no acknowledged reading, recovers once space is freed and starts again after a torn line', async () => {
    const dataDir = join(mountPoint, 'data');
    // Room to give back later: deleting it is "the operator freed space".
    const filler = join(mountPoint, 'filler');
    writeFileSync(filler, Buffer.alloc(1536 * 1024, 1));
    api = await startApiProcess({ name: 'disk-full', dataDir, admin: ADMIN });
    const client = await apiCall<{ id: number }>(api, 'POST', '/api/clients', { name: 'Plant' });
    const { id: deviceId } = await apiCall<{ id: number }>(api, 'POST', '/api/devices', { clientId: client.id, name: 'Main meter', deviceType: 'api' });

    // 1. Fill the disk: four senders, batch after batch, until refusals come in a row.
    const acknowledged = new Set<number>();
    const refused = new Set<number>();
    const unexpected: string[] = [];
    let next = 0;
    let refusalsInARow = 0;
    let refusal = '';
    await Promise.all(
      Array.from({ length: SENDERS }, async () => {
        while (refusalsInARow < FULL_AFTER_REFUSALS && next < 3000) {
          const b = next++;
          const res = await postBatch(api as ApiProcess, batchBody(deviceId, b));
          if (res.status === 200) {
            acknowledged.add(b);
            refusalsInARow = 0;
          } else if (res.status === 507) {
            refused.add(b);
            refusalsInARow++;
            refusal = res.body.message ?? '';
          } else unexpected.push(`batch ${b}: ${res.status} ${JSON.stringify(res.body)}`);
        }
      }),
    );
    expect(unexpected).toEqual([]);
    expect(refusalsInARow).toBeGreaterThanOrEqual(FULL_AFTER_REFUSALS);
    expect(acknowledged.size).toBeGreaterThan(20);
    expect(refusal).toMatch(/The disk holding the (audit trail|database).* is full/);

    // 2. While full: refused again, and the health check says why.
    expect((await postBatch(api, batchBody(deviceId, next))).status).toBe(507);
    refused.add(next++);
    const health = await apiCall<{ status: string; failing: string[]; audit: { status: string; error: string | null } }>(api, 'GET', '/api/health');
    expect(health.status).toBe('degraded');
    expect(health.failing.some((f) => f === 'audit' || f === 'storage')).toBe(true);

    // 3. Space freed: the running server takes readings again by itself.
    rmSync(filler);
    const first = next++;
    await waitFor('a batch to be accepted once space is freed', async () => {
      const res = await postBatch(api as ApiProcess, batchBody(deviceId, first));
      if (res.status !== 200 && res.status !== 507) throw new Error(`${res.status} ${JSON.stringify(res.body)}`);
      return res.status === 200;
    });
    acknowledged.add(first);
    const recovered = await apiCall<{ audit: { status: string; waitingReadings: number } }>(api, 'GET', '/api/health');
    expect(recovered.audit).toMatchObject({ status: 'ok', waitingReadings: 0 });
    // Every refused batch goes through when sent again (those stored before the refusal come back as duplicates).
    for (const b of refused) {
      const res = await postBatch(api, batchBody(deviceId, b));
      expect(`batch ${b}: ${res.status}`).toBe(`batch ${b}: 200`);
      acknowledged.add(b);
    }

    // 4. A crash, and a line torn in the middle at the end of the trail: the server starts all the same.
    await stopApiProcess(api, 'SIGKILL');
    appendFileSync(join(dataDir, 'audit.log'), '{"seq":999999,"ts":"2026-11-29T00:00:00.000Z","deviceId":');
    api = await startApiProcess({ name: 'disk-full', dataDir, admin: ADMIN, port: api.port, env: { LOG_LEVEL: 'warn' } });
    expect(api.output.join('')).toMatch(/ended with an incomplete line/);
    const last = next++;
    expect((await postBatch(api, batchBody(deviceId, last))).status).toBe(200);
    acknowledged.add(last);
    await stopApiProcess(api, 'SIGTERM');

    // 5. Every acknowledged reading is stored, and the audit trail and the database hold the same values.
    const stored = await storedKeys({ sqlitePath: join(dataDir, 'app.db') });
    const acknowledgedKeys = [...acknowledged].flatMap((b) => batchKeys(deviceId, b));
    expect(firstMissing(acknowledgedKeys, stored)).toEqual([]);
    const audited = auditedKeys(join(dataDir, 'audit.log'));
    expect(firstMissing(stored, audited)).toEqual([]);
    expect(firstMissing(audited, stored)).toEqual([]);
    const verify = await runAuditVerify({ DATA_DIR: dataDir });
    expect(verify.output).toMatch(/Audit trail intact: \d+ line\(s\) verified/);
    expect(verify.output).toMatch(new RegExp(`agrees with the audit trail: ${stored.size.toLocaleString('en')} value\\(s\\) of 1 device\\(s\\)`));
    expect(verify.code).toBe(0);
  });
});
