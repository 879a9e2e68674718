import type { Lease } from './lease-store';

export interface FairShareInput {
  /** This instance's owner string. */
  me: string;
  /** The database's clock (epoch ms) when the leases were read. */
  now: number;
  /** Every unit of work that should have an owner (e.g. `device:12`, `line:rtu-tcp:10.0.0.5:502`). */
  units: string[];
  /** The current leases of those units (others are ignored). */
  leases: ReadonlyMap<string, Lease>;
  /** Instances alive and taking work, this one included. */
  liveOwners: number;
  /** A unit left expired this long is taken by anyone, over the fair share: nobody else wanted it. */
  graceMs: number;
  /** Units with work in progress here: kept in preference when some must be given up. */
  busy?: ReadonlySet<string>;
}

export interface FairSharePlan {
  /** At most this many units per instance, unless orphans are picked up. */
  share: number;
  /** Units to take or renew (one claim statement). */
  claim: string[];
  /** Units held now but over the share: given back so that another instance takes them. */
  release: string[];
}

/** FNV-1a: a cheap, stable hash so that each instance prefers its own order of units (fewer collisions on the same free unit). */
function rank(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/**
 * Fair share: with U units and N live instances, each instance holds at most ceil(U / N).
 * It keeps what it holds up to that share (busy units first), gives back the rest, fills
 * the remaining room with free units (never leased, expired or released), and beyond the
 * share takes only units that stayed expired for the grace period (their instance died and
 * nobody with room picked them up). Claims can collide; the database decides who wins.
 */
export function planFairShare(input: FairShareInput): FairSharePlan {
  const { me, now, units, leases, graceMs } = input;
  const busy = input.busy ?? new Set<string>();
  const share = Math.ceil(units.length / Math.max(1, input.liveOwners));
  const order = (a: string, b: string) => rank(`${me}|${a}`) - rank(`${me}|${b}`);

  // Held means not expired: a unit this instance released (or failed to renew) is free like any other,
  // so that a unit given back is not counted, kept and given back again at every reload.
  const mine = units.filter((u) => {
    const lease = leases.get(u);
    return lease !== undefined && lease.owner === me && lease.expiresAt >= now;
  });
  mine.sort((a, b) => Number(busy.has(b)) - Number(busy.has(a)) || order(a, b));
  const keep = mine.slice(0, share);
  const release = mine.slice(share);

  const free = units.filter((u) => {
    const lease = leases.get(u);
    return !lease || lease.expiresAt < now;
  });
  free.sort(order);
  const room = Math.max(0, share - keep.length);
  const taken = free.slice(0, room);
  const orphans = free.slice(room).filter((u) => {
    const lease = leases.get(u);
    return lease !== undefined && lease.expiresAt < now - graceMs;
  });
  return { share, claim: [...keep, ...taken, ...orphans], release };
}
