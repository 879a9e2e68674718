import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Sites, tariffs and bandeiras (energy accounting). A site is one consumer unit of a distributor: its
 * own time zone (NULL: the client's), contracted demand (group A), meter reading day and, optionally,
 * the main meter that measures its total. Devices belong to a site (`site_id`); a `submeter` is not
 * added into its site's total. Every existing client gets one site, named after it, holding all its
 * devices, so that totals by site equal totals by client until someone splits them.
 *
 * Tariffs are versions (`valid_from`, a local calendar date 'YYYY-MM-DD') of one client or one site
 * (exactly one of client_id, site_id); their rates, windows, holidays and taxes are JSON. Bandeiras are
 * per calendar month; a month without a row is verde.
 */
export class SitesTariffs1764270000001 implements MigrationInterface {
  name = 'SitesTariffs1764270000001';

  async up(q: QueryRunner): Promise<void> {
    const pg = q.connection.options.type === 'postgres';
    const id = pg ? 'SERIAL PRIMARY KEY' : 'INTEGER PRIMARY KEY AUTOINCREMENT';
    const real = pg ? 'DOUBLE PRECISION' : 'REAL';
    await q.query(`CREATE TABLE sites (
      id ${id},
      client_id INTEGER NOT NULL REFERENCES clients(id),
      name VARCHAR(200) NOT NULL,
      address VARCHAR(500) NULL,
      timezone VARCHAR(64) NULL,
      contracted_kw_fora_ponta ${real} NULL,
      contracted_kw_ponta ${real} NULL,
      reading_day INTEGER NULL,
      main_device_id INTEGER NULL REFERENCES devices(id),
      created_at BIGINT NOT NULL)`);
    await q.query(`CREATE INDEX ix_sites_client ON sites (client_id)`);
    await q.query(`ALTER TABLE devices ADD COLUMN site_id INTEGER NULL REFERENCES sites(id)`);
    await q.query(`ALTER TABLE devices ADD COLUMN submeter BOOLEAN NOT NULL DEFAULT ${pg ? 'false' : '0'}`);
    await q.query(`CREATE INDEX ix_devices_site ON devices (site_id)`);
    // One site per existing client, holding all its devices.
    await q.query(`INSERT INTO sites (client_id, name, created_at) SELECT id, name, created_at FROM clients ORDER BY id`);
    await q.query(`UPDATE devices SET site_id = (SELECT MIN(s.id) FROM sites s WHERE s.client_id = devices.client_id)`);

    await q.query(`CREATE TABLE tariffs (
      id ${id},
      client_id INTEGER NULL REFERENCES clients(id),
      site_id INTEGER NULL REFERENCES sites(id),
      name VARCHAR(200) NOT NULL,
      modality VARCHAR(20) NOT NULL,
      currency VARCHAR(3) NOT NULL,
      valid_from VARCHAR(10) NOT NULL,
      energy TEXT NOT NULL,
      demand TEXT NOT NULL,
      windows TEXT NOT NULL,
      holidays TEXT NOT NULL,
      taxes TEXT NOT NULL,
      created_at BIGINT NOT NULL)`);
    await q.query(`CREATE INDEX ix_tariffs_client ON tariffs (client_id, valid_from)`);
    await q.query(`CREATE INDEX ix_tariffs_site ON tariffs (site_id, valid_from)`);

    await q.query(`CREATE TABLE bandeiras (
      month VARCHAR(7) PRIMARY KEY,
      flag VARCHAR(20) NOT NULL,
      adder_per_100kwh ${real} NOT NULL,
      updated_at BIGINT NOT NULL)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE bandeiras`);
    await q.query(`DROP TABLE tariffs`);
    await q.query(`DROP INDEX ix_devices_site`);
    await q.query(`ALTER TABLE devices DROP COLUMN submeter`);
    await q.query(`ALTER TABLE devices DROP COLUMN site_id`);
    await q.query(`DROP TABLE sites`);
  }
}
