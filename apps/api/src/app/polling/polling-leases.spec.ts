import { randomBytes } from 'node:crypto';
import { openTestDb, TEST_ENGINES, TestDb } from '../../testing/test-db';
import type { AppConfig } from '../config/app-config';
import { DeviceSecrets } from '../devices/device-secrets';
import type { InstanceIdentity } from '../leases/instance-identity';
import { LeaseStore } from '../leases/lease-store';
import { SecretBox } from '../secrets/secret-box';
import { LeaseSync, PollingLeases } from './polling-leases';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const TTL_MS = 1000;
const UNITS = Array.from({ length: 7 }, (_, i) => `device:${i + 1}`);

/**
 * Three instances' PollingLeases on one database, each syncing as its reload would (once a second
 * in the server, back to back here): they must share the units without overlap, hand a dead
 * instance's units over after expiry, and hand a stopped instance's units over at once.
 */
describe.each(TEST_ENGINES)('PollingLeases with three instances on %s', (engine) => {
  let t: TestDb;
  const instances = new Map<string, PollingLeases>();
  const held = new Map<string, LeaseSync>();

  const make = (name: string) => {
    const identity = { id: name, owner: `instance ${name}` } as InstanceIdentity;
    const config = { leaseTtlSec: TTL_MS / 1000 } as AppConfig;
    instances.set(name, new PollingLeases(new LeaseStore(t.db, identity), identity, config, new DeviceSecrets(new SecretBox(randomBytes(32)), t.db)));
  };
  /** One reload of every named instance, in turn. */
  const round = async (names: string[]) => {
    for (const n of names) held.set(n, await (instances.get(n) as PollingLeases).sync(UNITS, new Set()));
  };
  const holdings = (names: string[]) => names.map((n) => [...(held.get(n)?.held ?? [])]);
  const expectDisjointCover = (names: string[]) => {
    const all = holdings(names).flat();
    expect(new Set(all).size).toBe(all.length);
    expect(all.sort()).toEqual([...UNITS].sort());
  };

  beforeAll(async () => {
    t = await openTestDb(engine);
    for (const n of ['a', 'b', 'c']) make(n);
  });
  afterAll(() => t?.close());

  it('gives every unit to a lone instance at its first sync, for its TTL', async () => {
    const before = Date.now();
    await round(['a']);
    const a = held.get('a') as LeaseSync;
    expect([...a.held].sort()).toEqual([...UNITS].sort());
    expect(a.liveOwners).toBe(1);
    expect(a.takenOver.size).toBe(0);
    expect(a.validUntil).toBeGreaterThanOrEqual(before + TTL_MS);
    expect(a.validUntil).toBeLessThanOrEqual(Date.now() + TTL_MS);
  });

  it('spreads the units when two more instances join: at most ceil(7/3) = 3 each, none twice, none forgotten', async () => {
    for (let i = 0; i < 4; i++) await round(['a', 'b', 'c']);
    const counts = holdings(['a', 'b', 'c']).map((h) => h.length);
    expect(counts.every((c) => c >= 1 && c <= 3)).toBe(true);
    expectDisjointCover(['a', 'b', 'c']);
    expect(held.get('c')?.liveOwners).toBe(3);
    // Stable: another round changes nothing.
    const before = holdings(['a', 'b', 'c']).map((h) => h.sort());
    await round(['a', 'b', 'c']);
    expect(holdings(['a', 'b', 'c']).map((h) => h.sort())).toEqual(before);
  });

  it('hands the units of an instance that died (no release) to the others once its leases expire', async () => {
    const orphans = [...(held.get('c')?.held ?? [])];
    expect(orphans.length).toBeGreaterThan(0);
    // c stops syncing; a and b go on at the server's reload pace, and must not take c's units early.
    const deadline = Date.now() + TTL_MS;
    while (Date.now() < deadline - 150) {
      await round(['a', 'b']);
      for (const n of ['a', 'b']) for (const u of orphans) expect(held.get(n)?.held.has(u)).toBe(false);
      await sleep(100);
    }
    const takenOver = new Set<string>();
    for (let i = 0; i < 8; i++) {
      await sleep(150);
      await round(['a', 'b']);
      for (const n of ['a', 'b']) for (const u of held.get(n)?.takenOver ?? []) takenOver.add(u);
    }
    expectDisjointCover(['a', 'b']);
    expect(holdings(['a', 'b']).every((h) => h.length <= 4)).toBe(true);
    expect(held.get('a')?.liveOwners).toBe(2);
    // They know the units came from another instance (which read them lately).
    for (const u of orphans) expect(takenOver.has(u)).toBe(true);
  });

  it('hands the units of an instance that stops gracefully over at the next sync', async () => {
    await (instances.get('b') as PollingLeases).releaseAll();
    await round(['a']);
    expect([...(held.get('a')?.held ?? [])].sort()).toEqual([...UNITS].sort());
    expect(held.get('a')?.liveOwners).toBe(1);
  });

  it('lets go of units that are no longer polled and deletes their leases', async () => {
    const fewer = UNITS.slice(0, 3);
    const a = instances.get('a') as PollingLeases;
    const sync = await a.sync(fewer, new Set());
    expect([...sync.held].sort()).toEqual(fewer);
    await a.sync(fewer, new Set()); // the released leases have expired by now: removed
    const rows = await t.db.query<{ name: string }>("SELECT name FROM leases WHERE name LIKE 'device:%' ORDER BY name");
    expect(rows.map((r) => r.name)).toEqual(fewer);
  });
});
