import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Energy per device and UTC-aligned 15-minute quarter (`quarter`: its start, in epoch ms; it holds the
 * instants (start, start + 15 min]), imported (from the `energy` counter, or from `power` where there is
 * no counter) and exported (`exportEnergy`), kept by RollupStore from the 1-minute rollups as readings
 * are merged (see energy/energy-quarters.ts): what a kWh bar or a demand curve sums, and what rollup
 * retention never deletes. `ref_ts`/`ref_value` is where the chain of readings stood at the quarter's
 * end (the reference the next delta is taken from) and the `at_ref_*` columns what the quarter holding
 * that reference had counted when it became the reference: a recomputation restarts from them.
 * `devices.max_power_w`: above this implied power a counter's rise is a spike (NULL: 200 kW).
 */
export class Energy1764270000000 implements MigrationInterface {
  name = 'Energy1764270000000';

  async up(q: QueryRunner): Promise<void> {
    const pg = q.connection.options.type === 'postgres';
    const real = pg ? 'DOUBLE PRECISION' : 'REAL';
    await q.query(`CREATE TABLE energy_quarters (
      device_id INTEGER NOT NULL,
      kind VARCHAR(8) NOT NULL,
      quarter BIGINT NOT NULL,
      wh ${real} NOT NULL,
      resets INTEGER NOT NULL,
      rollovers INTEGER NOT NULL,
      spikes INTEGER NOT NULL,
      interpolated_wh ${real} NOT NULL,
      ref_ts BIGINT NOT NULL,
      ref_value ${real} NOT NULL,
      at_ref_wh ${real} NOT NULL,
      at_ref_resets INTEGER NOT NULL,
      at_ref_rollovers INTEGER NOT NULL,
      at_ref_spikes INTEGER NOT NULL,
      at_ref_interpolated_wh ${real} NOT NULL,
      PRIMARY KEY (device_id, kind, quarter))${pg ? '' : ' WITHOUT ROWID'}`);
    await q.query(`ALTER TABLE devices ADD COLUMN max_power_w ${real} NULL`);
    // Devices with readings already: their quarters are computed from their rollups in the background.
    await q.query(`CREATE TABLE energy_backfill (device_id INTEGER PRIMARY KEY)`);
    await q.query(
      `INSERT INTO energy_backfill (device_id) SELECT DISTINCT device_id FROM rollups WHERE bucket_ms = 60000 AND metric IN ('energy', 'exportEnergy', 'power')`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE energy_backfill`);
    await q.query(`ALTER TABLE devices DROP COLUMN max_power_w`);
    await q.query(`DROP TABLE energy_quarters`);
  }
}
