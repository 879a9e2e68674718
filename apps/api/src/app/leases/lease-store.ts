import { Injectable, OnModuleInit } from '@nestjs/common';
import { Database } from '../database/database.service';
import { InstanceIdentity } from './instance-identity';
import { HeldLease, HeldLeaseOptions } from './held-lease';

export interface Lease {
  name: string;
  owner: string;
  /** Epoch milliseconds on the database's clock. */
  expiresAt: number;
}

export interface LeaseSnapshot {
  /** The database's clock when the snapshot was read (epoch ms). */
  now: number;
  leases: Map<string, Lease>;
}

/** Rows per statement: 3 parameters each, well below SQLite's and PostgreSQL's limits. */
const CHUNK = 1000;

/**
 * Named leases in the `leases` table, shared by every instance on one database.
 *
 * Time: expiry is always judged by the database's clock (`now()` of the SQL below), never
 * by a host's. Every instance compares against the same clock, so hosts whose clocks
 * disagree by seconds still agree on who holds what. An instance's own idea of how long
 * it may keep working on a lease is a duration measured on its own clock from just before
 * the renewal was sent (see the callers): durations do not suffer from skew, and the lease
 * cannot have been granted before the request left. On SQLite the one file belongs to one
 * host, so its clock is the database's anyway.
 */
@Injectable()
export class LeaseStore implements OnModuleInit {
  /** The database's clock in epoch milliseconds, as SQL. */
  private readonly nowSql: string;

  constructor(
    private readonly db: Database,
    private readonly identity: InstanceIdentity,
  ) {
    this.nowSql =
      db.kind === 'postgres' ? 'CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT)' : "CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)";
  }

  /**
   * A SQLite file belongs to one instance (DATA_DIR): leases found there at start are the leftovers of a
   * previous process of this instance (killed before it could release them). They go at once, so that a
   * restart polls immediately instead of waiting for them to expire. PostgreSQL leases are left to expire.
   */
  async onModuleInit(): Promise<void> {
    if (this.db.kind !== 'sqlite') return;
    await this.db.transaction((m) => this.db.execute('DELETE FROM leases WHERE owner <> ?', [this.identity.owner], m));
  }

  /** The database's clock now (epoch ms). */
  async now(): Promise<number> {
    const [row] = await this.db.query<{ now: string | number }>(`SELECT ${this.nowSql} AS now`);
    return Number(row.now);
  }

  /** Every lease whose name starts with one of the prefixes, with the database's clock. */
  async snapshot(prefixes: string[]): Promise<LeaseSnapshot> {
    const where = prefixes.map(() => 'name LIKE ?').join(' OR ') || '1 = 1';
    const rows = await this.db.query<{ name: string; owner: string; expires_at: string | number; now: string | number }>(
      `SELECT name, owner, expires_at, ${this.nowSql} AS now FROM leases WHERE ${where}`,
      prefixes.map((p) => `${p}%`),
    );
    const leases = new Map<string, Lease>();
    for (const r of rows) leases.set(r.name, { name: r.name, owner: r.owner, expiresAt: Number(r.expires_at) });
    return { now: rows.length ? Number(rows[0].now) : await this.now(), leases };
  }

  /** The lease of that name if someone holds it now (not expired), else null. */
  async holder(name: string): Promise<Lease | null> {
    const [row] = await this.db.query<{ owner: string; expires_at: string | number }>(
      `SELECT owner, expires_at FROM leases WHERE name = ? AND expires_at >= ${this.nowSql}`,
      [name],
    );
    return row ? { name, owner: row.owner, expiresAt: Number(row.expires_at) } : null;
  }

  /** A lease this instance keeps for a job one instance does (see HeldLease). */
  hold(name: string, options: HeldLeaseOptions): HeldLease {
    return new HeldLease(this, name, options);
  }

  /**
   * Takes or renews leases in one statement per thousand names: a lease is granted when it is free
   * (no row, or expired) or already the owner's. Returns the names the owner now holds.
   * Names are sorted so that two instances claiming overlapping sets lock rows in the same order.
   */
  async claim(names: string[], ttlMs: number, owner = this.identity.owner): Promise<Set<string>> {
    const held = new Set<string>();
    const sorted = [...new Set(names)].sort();
    for (let i = 0; i < sorted.length; i += CHUNK) {
      const chunk = sorted.slice(i, i + CHUNK);
      // Lower-case "insert" makes TypeORM's SQLite runner return the RETURNING rows; PostgreSQL returns them anyway.
      const sql = `insert into leases (name, owner, expires_at) VALUES ${chunk.map(() => `(?, ?, ${this.nowSql} + ?)`).join(', ')}
        ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at
        WHERE leases.owner = excluded.owner OR leases.expires_at < ${this.nowSql}
        RETURNING name`;
      const params = chunk.flatMap((name) => [name, owner, Math.round(ttlMs)]);
      const rows = await this.db.transaction((m) => this.db.query<{ name: string }>(sql, params, m));
      for (const r of rows) held.add(r.name);
    }
    return held;
  }

  /**
   * Lets leases go now: they expire at once (the row stays, naming the last holder, so that the next
   * holder knows someone else read the device recently). Only the owner's own leases are touched.
   */
  async release(names: string[], owner = this.identity.owner): Promise<number> {
    let released = 0;
    const unique = [...new Set(names)];
    for (let i = 0; i < unique.length; i += CHUNK) {
      const chunk = unique.slice(i, i + CHUNK);
      released += await this.db.transaction((m) =>
        this.db.execute(
          `UPDATE leases SET expires_at = ${this.nowSql} - 1 WHERE owner = ? AND name IN (${chunk.map(() => '?').join(',')})`,
          [owner, ...chunk],
          m,
        ),
      );
    }
    return released;
  }

  /** Releases every lease the owner holds whose name starts with one of the prefixes (all of them without prefixes). */
  async releaseAll(prefixes: string[] = [], owner = this.identity.owner): Promise<number> {
    const names = prefixes.length ? ` AND (${prefixes.map(() => 'name LIKE ?').join(' OR ')})` : '';
    return this.db.transaction((m) =>
      this.db.execute(
        `UPDATE leases SET expires_at = ${this.nowSql} - 1 WHERE owner = ? AND expires_at >= ${this.nowSql}${names}`,
        [owner, ...prefixes.map((p) => `${p}%`)],
        m,
      ),
    );
  }

  /** Deletes leases by name, but only those that have expired (a lease someone holds is never removed). */
  async removeExpired(names: string[]): Promise<number> {
    let removed = 0;
    const unique = [...new Set(names)];
    for (let i = 0; i < unique.length; i += CHUNK) {
      const chunk = unique.slice(i, i + CHUNK);
      removed += await this.db.transaction((m) =>
        this.db.execute(`DELETE FROM leases WHERE expires_at < ${this.nowSql} AND name IN (${chunk.map(() => '?').join(',')})`, chunk, m),
      );
    }
    return removed;
  }
}
