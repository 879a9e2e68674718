import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Saved energy baselines (issue 18 part 2): the fitted coefficients of energy = b0 + Σ bi · driver_i
 * for a device, with the drivers they were fitted on (JSON) and the fit's figures, so that a later
 * period's expected energy and savings can be computed from them. Nothing here is a reading.
 */
export class Baselines1764340000000 implements MigrationInterface {
  name = 'Baselines1764340000000';

  async up(q: QueryRunner): Promise<void> {
    const pg = q.connection.options.type === 'postgres';
    const id = pg ? 'SERIAL PRIMARY KEY' : 'INTEGER PRIMARY KEY AUTOINCREMENT';
    await q.query(`CREATE TABLE energy_baselines (
      id ${id},
      client_id INTEGER NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
      device_id INTEGER NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
      name VARCHAR(200) NOT NULL,
      interval VARCHAR(8) NOT NULL,
      drivers TEXT NOT NULL,
      coefficients TEXT NOT NULL,
      fit TEXT NOT NULL,
      created_at BIGINT NOT NULL
    )`);
    await q.query(`CREATE INDEX ix_energy_baselines_device ON energy_baselines (device_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX ix_energy_baselines_device`);
    await q.query(`DROP TABLE energy_baselines`);
  }
}
