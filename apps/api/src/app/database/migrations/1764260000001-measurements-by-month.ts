import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Months kept ready ahead of the current one at migration time (the retention job keeps them ready after). */
const MONTHS_AHEAD = 3;

const monthStart = (year: number, month: number) => Date.UTC(year, month, 1);
const partitionName = (start: number) => {
  const d = new Date(start);
  return `measurements_p${d.getUTCFullYear()}${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
};

/**
 * PostgreSQL only: `measurements` partitioned by month of `ts` (declarative, PARTITION BY RANGE),
 * so that retention drops a whole month instead of deleting its rows one by one. The primary key
 * (device_id, metric, ts) holds the partition key, so ingest's ON CONFLICT DO NOTHING still works.
 * A DEFAULT partition takes a reading of a month that has no partition (a backlog from years ago),
 * so no insert ever fails for its date.
 *
 * An existing table is converted with its rows: renamed aside, the partitioned table created with
 * a partition for every month that holds rows (and the next months), the rows copied, the old
 * table dropped, all in the migration's transaction. On a big table this takes as long as copying
 * it (the README says so). SQLite keeps its single WITHOUT ROWID table: nothing to do.
 */
export class MeasurementsByMonth1764260000001 implements MigrationInterface {
  name = 'MeasurementsByMonth1764260000001';

  async up(q: QueryRunner): Promise<void> {
    if (q.connection.options.type !== 'postgres') return;
    const [kind] = await q.query(`SELECT relkind FROM pg_class WHERE oid = 'measurements'::regclass`);
    if (kind?.relkind === 'p') return;
    await q.query(`ALTER TABLE measurements RENAME TO measurements_unpartitioned`);
    await q.query(`ALTER INDEX measurements_pkey RENAME TO measurements_unpartitioned_pkey`);
    await q.query(`CREATE TABLE measurements (
      device_id INTEGER NOT NULL,
      metric VARCHAR(64) NOT NULL,
      ts BIGINT NOT NULL,
      value DOUBLE PRECISION NOT NULL,
      source VARCHAR(16) NOT NULL,
      PRIMARY KEY (device_id, metric, ts)) PARTITION BY RANGE (ts)`);
    await q.query(`CREATE TABLE measurements_default PARTITION OF measurements DEFAULT`);

    // The months that hold rows (the distinct months, not every month between the oldest and the newest), and the next ones.
    const rows: Array<{ y: number | string; m: number | string }> = await q.query(
      `SELECT DISTINCT EXTRACT(YEAR FROM to_timestamp(ts / 1000.0) AT TIME ZONE 'UTC') AS y, EXTRACT(MONTH FROM to_timestamp(ts / 1000.0) AT TIME ZONE 'UTC') AS m FROM measurements_unpartitioned`,
    );
    const starts = new Set(rows.map((r) => monthStart(Number(r.y), Number(r.m) - 1)));
    const now = new Date();
    for (let i = 0; i <= MONTHS_AHEAD; i++) starts.add(monthStart(now.getUTCFullYear(), now.getUTCMonth() + i));
    for (const start of [...starts].sort((a, b) => a - b)) {
      const d = new Date(start);
      const end = monthStart(d.getUTCFullYear(), d.getUTCMonth() + 1);
      await q.query(`CREATE TABLE ${partitionName(start)} PARTITION OF measurements FOR VALUES FROM (${start}) TO (${end})`);
    }
    await q.query(
      `INSERT INTO measurements (device_id, metric, ts, value, source) SELECT device_id, metric, ts, value, source FROM measurements_unpartitioned`,
    );
    await q.query(`DROP TABLE measurements_unpartitioned`);
  }

  async down(q: QueryRunner): Promise<void> {
    if (q.connection.options.type !== 'postgres') return;
    await q.query(`CREATE TABLE measurements_unpartitioned (
      device_id INTEGER NOT NULL,
      metric VARCHAR(64) NOT NULL,
      ts BIGINT NOT NULL,
      value DOUBLE PRECISION NOT NULL,
      source VARCHAR(16) NOT NULL,
      CONSTRAINT measurements_unpartitioned_pkey PRIMARY KEY (device_id, metric, ts))`);
    await q.query(`INSERT INTO measurements_unpartitioned SELECT device_id, metric, ts, value, source FROM measurements`);
    await q.query(`DROP TABLE measurements`);
    await q.query(`ALTER TABLE measurements_unpartitioned RENAME TO measurements`);
    await q.query(`ALTER INDEX measurements_unpartitioned_pkey RENAME TO measurements_pkey`);
  }
}
