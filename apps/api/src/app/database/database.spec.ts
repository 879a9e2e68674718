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

  it('commits group after group while writes keep coming, as another connection to the database sees', async () => {
    // Each write takes a moment, so the next ones queue while a group is being written.
    const slowInsert = (name: string) =>
      db.transaction(async (m) => {
        await insert(name)(m);
        await new Promise((r) => setTimeout(r, 2));
        if (name === 'stream-13') throw new Error('write 13 fails');
        return name;
      });
    const writes: Array<Promise<string>> = [];
    for (let i = 0; i < 30; i++) {
      writes.push(slowInsert(`stream-${String(i).padStart(2, '0')}`));
      if (i % 3 === 2) await new Promise((r) => setTimeout(r, 1));
    }
    const outcomes = await Promise.allSettled(writes);
    expect(outcomes.filter((o) => o.status === 'rejected')).toHaveLength(1);
    const expected = Array.from({ length: 30 }, (_, i) => `stream-${String(i).padStart(2, '0')}`).filter((n) => n !== 'stream-13');
    expect(await names('stream-')).toEqual(expected);
    if (db.kind !== 'sqlite') return;
    // Committed, not just visible on the server's own connection: a second connection reads them all.
    const sqlite3 = await import('sqlite3');
    const other = await new Promise<import('sqlite3').Database>((resolve, reject) => {
      const c: import('sqlite3').Database = new sqlite3.Database((t.config.database as { path: string }).path, (err) => (err ? reject(err) : resolve(c)));
    });
    const rows = await new Promise<Array<{ name: string }>>((resolve, reject) =>
      other.all("SELECT name FROM clients WHERE name LIKE 'stream-%' ORDER BY name", (err, r) => (err ? reject(err) : resolve(r as Array<{ name: string }>))),
    );
    await new Promise((r) => other.close(r));
    expect(rows.map((r) => r.name)).toEqual(expected);
  });

  it('acknowledges no write that was not committed after SQLite ended a transaction on its own (a COMMIT refused on a full disk)', async () => {
    if (db.kind !== 'sqlite') return;
    // What SQLite does when a COMMIT fails with SQLITE_FULL: it rolls the transaction back itself and the write fails.
    const refused = db.transaction(async (m) => {
      await insert('full-refused')(m);
      await db.execute('ROLLBACK', [], m);
      throw new Error('SQLITE_FULL: database or disk is full');
    });
    await expect(refused).rejects.toThrow('SQLITE_FULL');
    // Then writes keep coming, alone and in groups.
    const slowInsert = (name: string) =>
      db.transaction(async (m) => {
        await insert(name)(m);
        await new Promise((r) => setTimeout(r, 2));
        return name;
      });
    // Some arrive while a group is being written (its COMMIT goes out with the next group's BEGIN).
    const writes: Array<Promise<string>> = [];
    for (let i = 0; i < 30; i++) {
      writes.push(slowInsert(`full-after-${String(i).padStart(2, '0')}`));
      if (i % 3 === 2) await new Promise((r) => setTimeout(r, 1));
    }
    const acknowledged: string[] = [];
    for (const o of await Promise.allSettled(writes)) if (o.status === 'fulfilled') acknowledged.push(o.value);
    expect(acknowledged.length).toBeGreaterThan(0);
    // Every acknowledged write is committed: a second connection to the file reads it.
    const sqlite3 = await import('sqlite3');
    const other = await new Promise<import('sqlite3').Database>((resolve, reject) => {
      const c: import('sqlite3').Database = new sqlite3.Database((t.config.database as { path: string }).path, (err) => (err ? reject(err) : resolve(c)));
    });
    const rows = await new Promise<Array<{ name: string }>>((resolve, reject) =>
      other.all("SELECT name FROM clients WHERE name LIKE 'full-%' ORDER BY name", (err, r) => (err ? reject(err) : resolve(r as Array<{ name: string }>))),
    );
    await new Promise((r) => other.close(r));
    expect(rows.map((r) => r.name)).toEqual([...acknowledged].sort());
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

/** Statements of one transaction sent together (one statement on PostgreSQL): each answer, and all or nothing. */
describe('Database.combined', () => {
  let t: TestApp;
  let db: Database;

  beforeAll(async () => {
    t = await startTestApp();
    db = t.app.get(Database);
  });
  afterAll(() => t.close());

  const clientRow = (name: string) => ({ sql: 'INSERT INTO clients (name, created_at) VALUES (?, ?)', params: [name, Date.now()] });
  const names = async (prefix: string) =>
    (await db.query<{ name: string }>('SELECT name FROM clients WHERE name LIKE ? ORDER BY name', [`${prefix}%`])).map((r) => r.name);

  it('runs the writes, answers the new row id and the value read, in the caller transaction', async () => {
    const known = { id: await db.transaction((m) => db.insertReturningId(clientRow('combined-known').sql, clientRow('combined-known').params, m)) };
    const knownName = 'combined-known';
    const { id, name } = await db.transaction(async (m) => {
      const together = db.combined(m);
      together.write(clientRow('combined-a'));
      const row = clientRow('combined-b');
      const id = together.insertId(row.sql, row.params);
      const name = together.value('SELECT name FROM clients WHERE id = ?', [known.id]);
      together.write(clientRow('combined-c'));
      await together.send();
      return { id: await id, name: await name };
    });
    expect(await names('combined-')).toEqual(['combined-a', 'combined-b', 'combined-c', 'combined-known']);
    const [b] = await db.query<{ id: number }>("SELECT id FROM clients WHERE name = 'combined-b'");
    expect(id).toBe(Number(b.id));
    expect(name).toBe(knownName);
  });

  it('stores nothing when one of them fails, and says so to every answer', async () => {
    let answer: Promise<number> | undefined;
    await expect(
      db.transaction(async (m) => {
        const together = db.combined(m);
        together.write(clientRow('combined-fail-a'));
        const row = clientRow('combined-fail-b');
        answer = together.insertId(row.sql, row.params);
        // A client without a name breaks the NOT NULL constraint.
        together.write({ sql: 'INSERT INTO clients (name, created_at) VALUES (NULL, ?)', params: [Date.now()] });
        await together.send();
      }),
    ).rejects.toThrow();
    await expect(answer).rejects.toThrow();
    expect(await names('combined-fail-')).toEqual([]);
  });

  it('refuses a statement added after they were sent (it would never run)', async () => {
    await db.transaction(async (m) => {
      const together = db.combined(m);
      together.write(clientRow('combined-late-a'));
      await together.send();
      expect(() => together.write(clientRow('combined-late-b'))).toThrow(/after send/);
    });
    expect(await names('combined-late-')).toEqual(['combined-late-a']);
  });
});
