import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { apiCall, ApiProcess, requireBuiltApi, startApiProcess, stopApiProcess } from '../../testing/api-process';
import { auditedKeys, batchBody, batchKeys, firstMissing, postBatch, runAuditVerify, storedKeys } from '../../testing/audit-kit';
import { createPgDatabase, TEST_SECRETS_KEY } from '../../testing/test-app';
import { waitFor } from '../../testing/wait';

/**
 * kill -9 in the middle of ingest, on SQLite and on PostgreSQL (at 127.0.0.1:5432, or
 * TEST_PG_URL): four senders post batches until the server is killed with requests in flight;
 * it is started again on the same data and the batches that got no answer are sent again.
 * Every acknowledged reading must be stored, every stored reading must have its audit line
 * (read here line by line, without the server's verifier), and npm run audit:verify agrees.
 */
jest.setTimeout(120_000);

const ADMIN = { email: 'admin@crash.test', password: 'crash-password-1' };
const SENDERS = 4;
/** Acknowledged batches before the kill: the server is in full flow by then. */
const KILL_AFTER = 40;

describe.each(['sqlite', 'postgres'] as const)('audit trail after kill -9 during ingest (%s)', (engine) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'pieng-crash-'));
  let pg: { url: string; drop(): Promise<void> } | undefined;
  let api: ApiProcess | undefined;

  beforeAll(async () => {
    requireBuiltApi();
    if (engine === 'postgres') pg = await createPgDatabase();
  });
  afterAll(async () => {
    if (api) await stopApiProcess(api, 'SIGKILL');
    await pg?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('keeps every acknowledged batch and writes the audit line of every stored reading', async () => {
    const env: Record<string, string> = pg ? { DATABASE_URL: pg.url, SECRETS_KEY: TEST_SECRETS_KEY } : {};
    api = await startApiProcess({ name: `crash-${engine}`, dataDir, admin: ADMIN, env });
    const client = await apiCall<{ id: number }>(api, 'POST', '/api/clients', { name: 'Plant' });
    const { id: deviceId } = await apiCall<{ id: number }>(api, 'POST', '/api/devices', { clientId: client.id, name: 'Main meter', deviceType: 'api' });

    const acknowledged = new Set<number>();
    const unanswered = new Set<number>();
    let next = 0;
    let inFlight = 0;
    let killed = false;
    const running = api;
    const senders = Promise.all(
      Array.from({ length: SENDERS }, async () => {
        while (!killed) {
          const b = next++;
          inFlight++;
          const res = await postBatch(running, batchBody(deviceId, b));
          inFlight--;
          if (res.status === 200) acknowledged.add(b);
          else if (res.status === 0) unanswered.add(b);
          else throw new Error(`batch ${b}: ${res.status} ${JSON.stringify(res.body)}`);
        }
      }),
    );
    // Once in full flow, killed with requests in flight: some between their commit and their audit line, with luck.
    await waitFor('the server in full flow with requests in flight', async () => acknowledged.size >= KILL_AFTER && inFlight >= SENDERS - 1, 60_000, 2);
    running.child.kill('SIGKILL');
    killed = true;
    await senders;
    await waitFor('the server to be gone', async () => running.child.exitCode !== null || running.child.signalCode !== null);
    expect(unanswered.size).toBeGreaterThan(0);

    api = await startApiProcess({ name: `crash-${engine}`, dataDir, admin: ADMIN, env, port: api.port });
    for (const b of unanswered) {
      const res = await postBatch(api, batchBody(deviceId, b));
      expect(`batch ${b}: ${res.status}`).toBe(`batch ${b}: 200`);
      acknowledged.add(b);
    }
    await stopApiProcess(api, 'SIGTERM');

    const stored = await storedKeys(pg ? { pgUrl: pg.url } : { sqlitePath: join(dataDir, 'app.db') });
    expect(
      firstMissing(
        [...acknowledged].flatMap((b) => batchKeys(deviceId, b)),
        stored,
      ),
    ).toEqual([]);
    const audited = auditedKeys(join(dataDir, 'audit.log'));
    expect(firstMissing(stored, audited)).toEqual([]);
    expect(firstMissing(audited, stored)).toEqual([]);
    expect(stored.size).toBe(acknowledged.size * 150);

    const verify = await runAuditVerify({ DATA_DIR: dataDir, ...env });
    expect(verify.output).toMatch(new RegExp(`agrees with the audit trail: ${stored.size.toLocaleString('en')} value\\(s\\) of 1 device\\(s\\)`));
    expect(verify.code).toBe(0);
  });
});
