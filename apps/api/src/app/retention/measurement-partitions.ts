import type { EntityManager } from 'typeorm';
import { Database } from '../database/database.service';

/** A month's partition of `measurements` on PostgreSQL: rows with from <= ts < to. */
export interface MonthPartition {
  name: string;
  from: number;
  to: number;
}

/** Months kept ready ahead of the current one. */
export const MONTHS_AHEAD = 3;
const NAME = /^measurements_p(\d{4})(\d{2})$/;
/** Serializes partition changes between instances sharing the database (pg_advisory_xact_lock). */
const PARTITION_LOCK = 0x5049_4550; // "PIEP"

export const monthStart = (year: number, month: number) => Date.UTC(year, month, 1);
export const monthOf = (ms: number) => monthStart(new Date(ms).getUTCFullYear(), new Date(ms).getUTCMonth());
export const nextMonth = (start: number) => monthStart(new Date(start).getUTCFullYear(), new Date(start).getUTCMonth() + 1);
export const partitionName = (start: number) =>
  `measurements_p${new Date(start).getUTCFullYear()}${String(new Date(start).getUTCMonth() + 1).padStart(2, '0')}`;

/**
 * The monthly partitions of `measurements` (PostgreSQL only; see migration 1764260000001): which
 * exist, creating the next months before readings arrive for them, and dropping a month.
 *
 * A month with no partition yet is never a failed insert: its rows land in measurements_default.
 * Creating that month's partition later moves them out of the default partition first (PostgreSQL
 * refuses to attach a range the default partition holds rows of).
 */
export class MeasurementPartitions {
  constructor(private readonly db: Database) {}

  /** The month partitions, oldest first (the default partition is not one of them). */
  async list(manager?: EntityManager): Promise<MonthPartition[]> {
    const rows = await this.db.query<{ name: string }>(
      `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'measurements'::regclass`,
      [],
      manager,
    );
    const parts: MonthPartition[] = [];
    for (const { name } of rows) {
      const m = NAME.exec(name);
      if (!m) continue;
      const from = monthStart(Number(m[1]), Number(m[2]) - 1);
      parts.push({ name, from, to: nextMonth(from) });
    }
    return parts.sort((a, b) => a.from - b.from);
  }

  /** Makes sure the month of `now` and the MONTHS_AHEAD after it have their partition; returns the names created. */
  async ensureAhead(now: number, monthsAhead = MONTHS_AHEAD): Promise<string[]> {
    const created: string[] = [];
    let start = monthOf(now);
    for (let i = 0; i <= monthsAhead; i++, start = nextMonth(start)) {
      if (await this.create(start)) created.push(partitionName(start));
    }
    return created;
  }

  /** Creates the partition of the month starting at `start` unless it exists; true when it was created. */
  async create(start: number): Promise<boolean> {
    const name = partitionName(start);
    const end = nextMonth(start);
    return this.db.dataSource.transaction(async (m) => {
      await m.query('SELECT pg_advisory_xact_lock($1)', [PARTITION_LOCK]);
      if ((await this.list(m)).some((p) => p.name === name)) return false;
      const [{ held }] = await m.query(`SELECT EXISTS (SELECT 1 FROM measurements_default WHERE ts >= $1 AND ts < $2) AS held`, [start, end]);
      if (!held) {
        await m.query(`CREATE TABLE ${name} PARTITION OF measurements FOR VALUES FROM (${start}) TO (${end})`);
        return true;
      }
      // Readings of that month arrived before its partition existed: they move into it, then it is attached.
      await m.query(`LOCK TABLE measurements_default IN SHARE ROW EXCLUSIVE MODE`);
      await m.query(`CREATE TABLE ${name} (LIKE measurements INCLUDING DEFAULTS INCLUDING CONSTRAINTS)`);
      await m.query(
        `WITH moved AS (DELETE FROM measurements_default WHERE ts >= $1 AND ts < $2 RETURNING device_id, metric, ts, value, source)
         INSERT INTO ${name} (device_id, metric, ts, value, source) SELECT device_id, metric, ts, value, source FROM moved`,
        [start, end],
      );
      await m.query(`ALTER TABLE measurements ATTACH PARTITION ${name} FOR VALUES FROM (${start}) TO (${end})`);
      return true;
    });
  }

  /**
   * Drops a month's partition in one transaction that first takes its rows' account (`account`
   * reads them and stages their audit lines in the same transaction): the lines and the drop
   * commit together. The partition is locked against writes (SHARE) while it is read, so nothing
   * lands in it unaccounted; the DROP itself holds the parent table only for the commit.
   */
  async drop<T>(partition: MonthPartition, account: (m: EntityManager) => Promise<T>): Promise<T> {
    return this.db.dataSource.transaction(async (m) => {
      await m.query('SELECT pg_advisory_xact_lock($1)', [PARTITION_LOCK]);
      await m.query(`LOCK TABLE ${partition.name} IN SHARE MODE`);
      const result = await account(m);
      await m.query(`DROP TABLE ${partition.name}`);
      return result;
    });
  }
}
