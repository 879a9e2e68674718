import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Rollups: per device, metric and UTC-aligned bucket (1 minute, 15 minutes, 1 hour; `bucket_ms`
 * says which), what charts and statistics need without the raw rows. Mean and σ are kept as
 * mergeable moments (count, mean, M2 = Σ(v − mean)²), never as a raw sum of squares, which loses
 * the variance of 230.0 ± 0.01 V to rounding; the time's moments (ts_mean, ts_m2 = Σ(t − t̄)², ts_value_c =
 * Σ(t − t̄)(v − v̄)) make a metric's regression against time exact from rollups. The ingest transaction
 * adds its values' 1-minute sums to rollup_pending; RollupStore merges them into every resolution (every
 * second, and before a chart or a statistic of the device is read). Rebuilt from the
 * raw rows by `main.js rollups-rebuild`. `rollup_backfill` lists the devices whose readings were
 * stored before rollups existed: the server rolls them up in the background and strikes each off.
 */
export class Rollups1764250000000 implements MigrationInterface {
  name = 'Rollups1764250000000';

  async up(q: QueryRunner): Promise<void> {
    const pg = q.connection.options.type === 'postgres';
    const real = pg ? 'DOUBLE PRECISION' : 'REAL';
    // What a bucket keeps; the pending sums keep the same, per 1-minute bucket.
    const moments = [
      `value_count INTEGER NOT NULL`,
      `value_sum ${real} NOT NULL`,
      `value_min ${real} NOT NULL`,
      `value_max ${real} NOT NULL`,
      `value_mean ${real} NOT NULL`,
      `value_m2 ${real} NOT NULL`,
      `ts_mean ${real} NOT NULL`,
      `ts_m2 ${real} NOT NULL`,
      `ts_value_c ${real} NOT NULL`,
      `first_ts BIGINT NOT NULL`,
      `first_value ${real} NOT NULL`,
      `last_ts BIGINT NOT NULL`,
      `last_value ${real} NOT NULL`,
    ].join(',\n      ');
    await q.query(`CREATE TABLE rollups (
      device_id INTEGER NOT NULL,
      metric VARCHAR(64) NOT NULL,
      bucket_ms INTEGER NOT NULL,
      bucket BIGINT NOT NULL,
      ${moments},
      PRIMARY KEY (device_id, metric, bucket_ms, bucket))${pg ? '' : ' WITHOUT ROWID'}`);
    // What ingest transactions summed up (1-minute buckets of the values they stored), waiting to be merged
    // into the rollups of every resolution: a plain insert costs the ingest a few per cent where merging
    // into three resolutions at once cost a third (bench/ingest.mjs).
    await q.query(`CREATE TABLE rollup_pending (
      seq ${pg ? 'BIGSERIAL PRIMARY KEY' : 'INTEGER PRIMARY KEY AUTOINCREMENT'},
      device_id INTEGER NOT NULL,
      metric VARCHAR(64) NOT NULL,
      bucket BIGINT NOT NULL,
      ${moments})`);
    await q.query(`CREATE INDEX ix_rollup_pending_device ON rollup_pending (device_id, seq)`);
    await q.query(`CREATE TABLE rollup_backfill (device_id INTEGER PRIMARY KEY)`);
    await q.query(`INSERT INTO rollup_backfill (device_id) SELECT id FROM devices d WHERE EXISTS (SELECT 1 FROM measurements m WHERE m.device_id = d.id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE rollup_backfill`);
    await q.query(`DROP TABLE rollup_pending`);
    await q.query(`DROP TABLE rollups`);
  }
}
