import * as sqlite3 from 'sqlite3';
import { Database } from '../database/database.service';
import { RESOLUTIONS, Resolution } from './retention-policy';

/** How much one resolution holds, as the retention job measured it. */
export interface StorageFigures {
  resolution: Resolution;
  rows: number;
  bytes: number;
  /** `dbstat` (SQLite's page-by-page count), `pg_total_relation_size`, or `estimate` (rows × average row size). */
  measuredBy: string;
}

interface Reader {
  rows<T>(sql: string): Promise<T[]>;
  close(): Promise<void>;
}

/**
 * Rows and bytes per resolution. Run by the retention job (never by a request): the counts read
 * every row. On SQLite the job reads on a connection of its own, so the connection that writes
 * (and every ingest behind it) does not wait for it. Rollups of the three resolutions share one
 * table: its bytes are shared out by their rows.
 */
export async function measureStorage(db: Database): Promise<StorageFigures[]> {
  const reader = db.kind === 'sqlite' ? await openSqliteReader(String(db.dataSource.options.database)) : pgReader(db);
  try {
    const [{ n: raw }] = await reader.rows<{ n: number | string }>('SELECT COUNT(*) AS n FROM measurements');
    const rollupRows = new Map(
      (await reader.rows<{ bucket_ms: number | string; n: number | string }>('SELECT bucket_ms, COUNT(*) AS n FROM rollups GROUP BY bucket_ms')).map((r) => [
        Number(r.bucket_ms),
        Number(r.n),
      ]),
    );
    const rows = (r: (typeof RESOLUTIONS)[number]) => (r.bucketMs === null ? Number(raw) : (rollupRows.get(r.bucketMs) ?? 0));
    const allRollups = [...rollupRows.values()].reduce((a, b) => a + b, 0);
    const { measurements, rollups, measuredBy } = await tableBytes(db, reader, Number(raw), allRollups);
    return RESOLUTIONS.map((r) => ({
      resolution: r.resolution,
      rows: rows(r),
      bytes: r.bucketMs === null ? measurements : allRollups === 0 ? 0 : Math.round((rollups * rows(r)) / allRollups),
      measuredBy,
    }));
  } finally {
    await reader.close();
  }
}

async function tableBytes(
  db: Database,
  reader: Reader,
  rawRows: number,
  rollupRows: number,
): Promise<{ measurements: number; rollups: number; measuredBy: string }> {
  if (db.kind === 'postgres') {
    // A partitioned table has no storage of its own: its partitions (and their indexes) have it.
    const [m] = await reader.rows<{ b: string | number }>(`SELECT COALESCE(SUM(pg_total_relation_size(relid)), 0) AS b FROM pg_partition_tree('measurements')`);
    const [r] = await reader.rows<{ b: string | number }>(`SELECT pg_total_relation_size('rollups') AS b`);
    return { measurements: Number(m.b), rollups: Number(r.b), measuredBy: 'pg_total_relation_size' };
  }
  try {
    // dbstat is compiled into the sqlite3 build npm installs (checked in the retention spec); a build without it falls back below.
    const sizes = new Map(
      (await reader.rows<{ name: string; b: number }>(`SELECT name, SUM(pgsize) AS b FROM dbstat WHERE name IN ('measurements', 'rollups') GROUP BY name`)).map(
        (r) => [r.name, Number(r.b)],
      ),
    );
    return { measurements: sizes.get('measurements') ?? 0, rollups: sizes.get('rollups') ?? 0, measuredBy: 'dbstat' };
  } catch {
    const average = async (table: string, columns: string) => {
      const [row] = await reader.rows<{ a: number | null }>(`SELECT AVG(${columns}) AS a FROM (SELECT * FROM ${table} LIMIT 1000)`);
      return row.a ?? 0;
    };
    // Payload plus SQLite's per-row header and cell pointer (about 12 bytes); pages are about 90 % full.
    const raw = (await average('measurements', 'LENGTH(metric) + LENGTH(source) + 8 + 8 + 8 + 12')) / 0.9;
    const rollup = (await average('rollups', 'LENGTH(metric) + 4 + 8 + 8 + 4 + 8 * 9 + 12')) / 0.9;
    return { measurements: Math.round(rawRows * raw), rollups: Math.round(rollupRows * rollup), measuredBy: 'estimate' };
  }
}

function pgReader(db: Database): Reader {
  return { rows: (sql) => db.query(sql), close: async () => undefined };
}

async function openSqliteReader(path: string): Promise<Reader> {
  const conn = await new Promise<sqlite3.Database>((ok, fail) => {
    const c: sqlite3.Database = new sqlite3.Database(path, sqlite3.OPEN_READONLY, (err) => (err ? fail(err) : ok(c)));
  });
  conn.configure('busyTimeout', 10_000);
  return {
    rows: <T>(sql: string) => new Promise<T[]>((ok, fail) => conn.all(sql, [], (err, r) => (err ? fail(err) : ok(r as T[])))),
    close: () => new Promise<void>((ok) => conn.close(() => ok())),
  };
}
