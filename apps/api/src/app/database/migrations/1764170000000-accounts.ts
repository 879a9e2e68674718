import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Users, refresh tokens (stored hashed, grouped in rotation families) and API keys (stored hashed). */
export class Accounts1764170000000 implements MigrationInterface {
  name = 'Accounts1764170000000';

  async up(q: QueryRunner): Promise<void> {
    const pg = q.connection.options.type === 'postgres';
    const id = pg ? 'SERIAL PRIMARY KEY' : 'INTEGER PRIMARY KEY AUTOINCREMENT';
    const t = (v: boolean) => (pg ? String(v) : v ? '1' : '0');

    await q.query(`CREATE TABLE users (
      id ${id},
      email VARCHAR(254) NOT NULL,
      password_hash VARCHAR(200) NOT NULL,
      role VARCHAR(16) NOT NULL,
      client_id INTEGER NULL REFERENCES clients(id),
      active BOOLEAN NOT NULL DEFAULT ${t(true)},
      must_change_password BOOLEAN NOT NULL DEFAULT ${t(false)},
      created_at BIGINT NOT NULL,
      last_login_at BIGINT NULL)`);
    // Emails are stored lower-cased, so this index makes them unique case-insensitively.
    await q.query(`CREATE UNIQUE INDEX ux_users_email ON users (email)`);
    await q.query(`CREATE INDEX ix_users_client ON users (client_id)`);

    await q.query(`CREATE TABLE refresh_tokens (
      id ${id},
      user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
      family VARCHAR(36) NOT NULL,
      token_hash VARCHAR(64) NOT NULL,
      expires_at BIGINT NOT NULL,
      revoked_at BIGINT NULL,
      created_at BIGINT NOT NULL)`);
    await q.query(`CREATE UNIQUE INDEX ux_refresh_tokens_hash ON refresh_tokens (token_hash)`);
    await q.query(`CREATE INDEX ix_refresh_tokens_family ON refresh_tokens (family)`);

    await q.query(`CREATE TABLE api_keys (
      id ${id},
      client_id INTEGER NOT NULL REFERENCES clients(id),
      name VARCHAR(200) NOT NULL,
      scope VARCHAR(16) NOT NULL,
      key_hash VARCHAR(64) NOT NULL,
      prefix VARCHAR(16) NOT NULL,
      created_by INTEGER NULL REFERENCES users(id) ON DELETE SET NULL,
      created_at BIGINT NOT NULL,
      last_used_at BIGINT NULL,
      revoked_at BIGINT NULL)`);
    await q.query(`CREATE UNIQUE INDEX ux_api_keys_hash ON api_keys (key_hash)`);
    await q.query(`CREATE INDEX ix_api_keys_client ON api_keys (client_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['api_keys', 'refresh_tokens', 'users']) await q.query(`DROP TABLE ${table}`);
  }
}
