import { openTestDb, TEST_ENGINES, TestDb } from '../../testing/test-db';
import { planFairShare } from './fair-share';
import { Lease, LeaseStore } from './lease-store';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.each(TEST_ENGINES)('LeaseStore on %s', (engine) => {
  let t: TestDb;
  let a: LeaseStore;
  let b: LeaseStore;
  beforeAll(async () => {
    t = await openTestDb(engine);
    a = t.storeFor('owner-a');
    b = t.storeFor('owner-b');
  });
  afterAll(() => t?.close());

  const row = async (name: string) =>
    (await t.db.query<{ owner: string; expires_at: string | number }>('SELECT owner, expires_at FROM leases WHERE name = ?', [name])).map((r) => ({
      owner: r.owner,
      expiresAt: Number(r.expires_at),
    }))[0];

  it('grants a free lease to the first claimant only, and renews it for its holder', async () => {
    const before = Date.now();
    expect([...(await a.claim(['device:1', 'device:2'], 10_000))].sort()).toEqual(['device:1', 'device:2']);
    // The other owner gets nothing while the leases run.
    expect([...(await b.claim(['device:1', 'device:2', 'device:3'], 10_000))]).toEqual(['device:3']);
    const first = await row('device:1');
    expect(first.owner).toBe('owner-a');
    // Database clock: within a few seconds of this host's (same machine here).
    expect(first.expiresAt).toBeGreaterThanOrEqual(before + 10_000 - 2000);
    expect(first.expiresAt).toBeLessThanOrEqual(Date.now() + 10_000 + 2000);
    await sleep(20);
    expect([...(await a.claim(['device:1'], 20_000))]).toEqual(['device:1']);
    expect((await row('device:1')).expiresAt).toBeGreaterThan(first.expiresAt + 9000);
    expect(await a.holder('device:1')).toMatchObject({ owner: 'owner-a' });
  });

  it('lets another owner take a lease over once it has expired, and the old holder cannot renew it then', async () => {
    expect([...(await a.claim(['forwarder'], 300))]).toEqual(['forwarder']);
    expect([...(await b.claim(['forwarder'], 300))]).toEqual([]);
    await sleep(450);
    expect(await a.holder('forwarder')).toBeNull();
    expect([...(await b.claim(['forwarder'], 5000))]).toEqual(['forwarder']);
    expect([...(await a.claim(['forwarder'], 5000))]).toEqual([]);
    expect(await a.holder('forwarder')).toMatchObject({ owner: 'owner-b' });
  });

  it("releases only the owner's own leases, at once; the row keeps the last holder", async () => {
    await b.claim(['device:10'], 10_000);
    await a.claim(['device:11', 'device:12'], 10_000);
    expect(await a.release(['device:10', 'device:11'])).toBe(1);
    expect(await a.holder('device:10')).toMatchObject({ owner: 'owner-b' });
    expect(await a.holder('device:11')).toBeNull();
    expect((await row('device:11')).owner).toBe('owner-a');
    expect([...(await b.claim(['device:11'], 10_000))]).toEqual(['device:11']);
    await a.claim(['other:1'], 10_000);
    // device:1, device:2 (first test) and device:12.
    expect(await a.releaseAll(['device:'])).toBe(3);
    expect(await a.holder('device:12')).toBeNull();
    expect(await a.holder('other:1')).toMatchObject({ owner: 'owner-a' });
    expect(await a.releaseAll()).toBe(1);
    expect(await a.holder('other:1')).toBeNull();
    expect(await b.holder('device:10')).toMatchObject({ owner: 'owner-b' });
  });

  it('deletes only expired leases', async () => {
    await a.claim(['device:20'], 10_000);
    await a.claim(['device:21'], 10_000);
    await a.release(['device:21']);
    expect(await a.removeExpired(['device:20', 'device:21'])).toBe(1);
    expect(await row('device:21')).toBeUndefined();
    expect(await row('device:20')).toBeDefined();
  });

  it('claims thousands of names in a few statements, and two owners racing for the same names never both win', async () => {
    const names = Array.from({ length: 2500 }, (_, i) => `device:race-${i}`);
    const [x, y] = await Promise.all([a.claim(names, 10_000), b.claim(names, 10_000)]);
    for (const n of x) expect(y.has(n)).toBe(false);
    expect(x.size + y.size).toBe(names.length);
  });

  it('reads a snapshot by prefix with the database clock', async () => {
    await a.claim(['poller:a'], 10_000);
    const snap = await a.snapshot(['poller:']);
    expect([...snap.leases.keys()]).toEqual(['poller:a']);
    expect(Math.abs(snap.now - Date.now())).toBeLessThan(2000);
    expect(snap.leases.get('poller:a')?.expiresAt).toBeGreaterThan(snap.now);
  });

  if (engine === 'sqlite') {
    it('on SQLite, drops the leases a previous process left behind when it starts', async () => {
      await a.claim(['device:left-behind'], 60_000);
      const restarted = t.storeFor('owner-c');
      await restarted.onModuleInit();
      expect(await restarted.holder('device:left-behind')).toBeNull();
      expect([...(await restarted.claim(['device:left-behind'], 1000))]).toEqual(['device:left-behind']);
    });
  }
});

describe('planFairShare', () => {
  const now = 1_000_000;
  const units = Array.from({ length: 7 }, (_, i) => `device:${i + 1}`);
  const lease = (name: string, owner: string, expiresAt: number): [string, Lease] => [name, { name, owner, expiresAt }];

  it('takes at most ceil(units / live instances) free units', () => {
    const plan = planFairShare({ me: 'a', now, units, leases: new Map(), liveOwners: 3, graceMs: 5000 });
    expect(plan.share).toBe(3);
    expect(plan.claim).toHaveLength(3);
    expect(plan.release).toEqual([]);
  });

  it('keeps its own units up to the share and gives back the rest, busy ones kept first', () => {
    const leases = new Map(units.map((u) => lease(u, 'a', now + 3000)));
    const plan = planFairShare({ me: 'a', now, units, leases, liveOwners: 2, graceMs: 5000, busy: new Set(['device:7']) });
    expect(plan.share).toBe(4);
    expect(plan.claim).toHaveLength(4);
    expect(plan.claim).toContain('device:7');
    expect(plan.release).toHaveLength(3);
    expect(new Set([...plan.claim, ...plan.release]).size).toBe(7);
  });

  it('leaves units held by live instances alone and picks up long-expired orphans over the share', () => {
    const leases = new Map([
      lease('device:1', 'b', now + 3000),
      lease('device:2', 'b', now + 3000),
      lease('device:3', 'c', now + 3000),
      lease('device:4', 'a', now + 3000),
      lease('device:5', 'a', now + 3000),
      lease('device:6', 'a', now + 3000),
      lease('device:7', 'dead', now - 6000), // expired longer than the grace: nobody with room took it
    ]);
    const plan = planFairShare({ me: 'a', now, units, leases, liveOwners: 3, graceMs: 5000 });
    expect(plan.claim.sort()).toEqual(['device:4', 'device:5', 'device:6', 'device:7']);
    // Only just expired: within the share only.
    leases.set('device:7', { name: 'device:7', owner: 'dead', expiresAt: now - 100 });
    expect(planFairShare({ me: 'a', now, units, leases, liveOwners: 3, graceMs: 5000 }).claim.sort()).toEqual(['device:4', 'device:5', 'device:6']);
  });

  it('does not count a unit it gave back as its own: no give-back, take-back churn', () => {
    // a held four while two instances were alive; c joined (share 3) and a gave device:7 back at its last reload.
    const leases = new Map([
      lease('device:1', 'b', now + 3000),
      lease('device:2', 'b', now + 3000),
      lease('device:3', 'a', now + 3000),
      lease('device:4', 'a', now + 3000),
      lease('device:5', 'c', now + 3000),
      lease('device:6', 'a', now + 3000),
      lease('device:7', 'a', now - 500),
    ]);
    // Even with a read of device:7 still running here, a keeps its three and neither takes device:7 back nor gives another away.
    const plan = planFairShare({ me: 'a', now, units, leases, liveOwners: 3, graceMs: 5000, busy: new Set(['device:7']) });
    expect(plan.claim.sort()).toEqual(['device:3', 'device:4', 'device:6']);
    expect(plan.release).toEqual([]);
    // c has room for it.
    expect(planFairShare({ me: 'c', now, units, leases, liveOwners: 3, graceMs: 5000 }).claim.sort()).toEqual(['device:5', 'device:7']);
  });
});
