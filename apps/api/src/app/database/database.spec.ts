import { startTestApp, TestApp } from '../../testing/test-app';
import { Database } from './database.service';

/** Writes queued together share one transaction on SQLite; each caller still gets all-or-nothing. */
describe('Database.transaction', () => {
  let t: TestApp;
  let db: Database;

  beforeAll(async () => {
    t = await startTestApp();
    db = t.app.get(Database);
  });
  afterAll(() => t.close());

  const names = async (prefix: string) =>
    (await db.query<{ name: string }>('SELECT name FROM clients WHERE name LIKE ? ORDER BY name', [`${prefix}%`])).map((r) => r.name);
  const insert = (name: string) => (m: Parameters<Parameters<Database['transaction']>[0]>[0]) =>
    db.execute('INSERT INTO clients (name, created_at) VALUES (?, ?)', [name, Date.now()], m);

  it('commits every write of a group and answers each caller with its own value', async () => {
    const results = await Promise.all([1, 2, 3, 4].map((i) => db.transaction(async (m) => (await insert(`group-ok-${i}`)(m), i * 10))));
    expect(results).toEqual([10, 20, 30, 40]);
    expect(await names('group-ok-')).toEqual(['group-ok-1', 'group-ok-2', 'group-ok-3', 'group-ok-4']);
  });

  it('keeps the other writes of a group when one fails, and nothing of the one that failed', async () => {
    let runsOfFirst = 0;
    const outcomes = await Promise.allSettled([
      db.transaction(async (m) => {
        runsOfFirst++;
        await insert('group-mixed-1')(m);
        return 'first';
      }),
      db.transaction(async (m) => {
        await insert('group-mixed-2a')(m);
        await insert('group-mixed-2b')(m);
        throw new Error('the second write fails after two inserts');
      }),
      db.transaction(async (m) => {
        await insert('group-mixed-3')(m);
        return 'third';
      }),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((outcomes[0] as PromiseFulfilledResult<string>).value).toBe('first');
    expect((outcomes[1] as PromiseRejectedResult).reason.message).toBe('the second write fails after two inserts');
    expect((outcomes[2] as PromiseFulfilledResult<string>).value).toBe('third');
    // Stored once each, even though the group ran again write by write after the failure.
    expect(await names('group-mixed-')).toEqual(['group-mixed-1', 'group-mixed-3']);
    if (db.kind === 'sqlite') expect(runsOfFirst).toBe(2);
  });

  it('rolls back a single write that fails', async () => {
    await expect(
      db.transaction(async (m) => {
        await insert('single-fail')(m);
        throw new Error('no');
      }),
    ).rejects.toThrow('no');
    expect(await names('single-fail')).toEqual([]);
  });
});
