import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as sqlite3 from 'sqlite3';
import { ServiceUnavailableError, UnprocessableError } from '../common/domain-errors';
import { SqliteReadConnections } from './read-connections';

/** A read that would run for minutes: it ends only when interrupted. */
const ENDLESS = 'WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 1e12) SELECT max(i) AS m FROM n';

describe('SqliteReadConnections', () => {
  let dir: string;
  let reads: SqliteReadConnections;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pieng-reads-'));
    const path = join(dir, 'app.db');
    await new Promise<void>((resolve, reject) => {
      const db = new sqlite3.Database(path, (err) =>
        err
          ? reject(err)
          : db.exec('PRAGMA journal_mode = WAL; CREATE TABLE t (v REAL); INSERT INTO t VALUES (1), (2)', (e) => (e ? reject(e) : db.close(() => resolve()))),
      );
    });
    reads = new SqliteReadConnections(path, 200);
    await reads.all('SELECT 1', []); // opens the two connections outside the measured reads
  });
  afterAll(async () => {
    await reads.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('stops reads past the bound (422) and refuses one that never got a connection within it (503)', async () => {
    // Two connections: the first two reads run and are interrupted at the bound; the third waits for
    // a connection the whole bound and is refused with a time to retry.
    const started = Date.now();
    const outcomes = await Promise.all(
      [0, 1, 2].map(() =>
        reads.all(ENDLESS, []).then(
          () => 'answered',
          (err: unknown) => err,
        ),
      ),
    );
    expect(Date.now() - started).toBeLessThan(5000);
    const stopped = outcomes.filter((o) => o instanceof UnprocessableError);
    const refused = outcomes.filter((o) => o instanceof ServiceUnavailableError) as ServiceUnavailableError[];
    expect(stopped).toHaveLength(2);
    expect(refused).toHaveLength(1);
    expect(refused[0].retryAfterSec).toBe(5);
    expect(refused[0].message).toMatch(/could not start this read within 200 ms \(busy with other long reads\); retry shortly/);
    // The connections are free again: a short read answers at once.
    expect(await reads.all<{ s: number }>('SELECT sum(v) AS s FROM t', [])).toEqual([{ s: 3 }]);
  });
});
