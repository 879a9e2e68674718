import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Sessions, so that access tokens end at once rather than when they expire. A session is one login
 * (the refresh-token family it started): logout and a reused refresh token end it; a password change
 * bumps the user's `session_version`, which ends every session started under the old one. Access
 * tokens name their session, and the guard checks it in the query it runs on every request anyway.
 */
export class Sessions1764210000000 implements MigrationInterface {
  name = 'Sessions1764210000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE users ADD COLUMN session_version INTEGER NOT NULL DEFAULT 0`);
    await q.query(`CREATE TABLE sessions (
      id VARCHAR(36) PRIMARY KEY,
      user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
      session_version INTEGER NOT NULL,
      created_at BIGINT NOT NULL,
      ended_at BIGINT NULL)`);
    await q.query(`CREATE INDEX ix_sessions_user ON sessions (user_id)`);
    // Every login so far becomes a session; one whose refresh tokens are all revoked has ended.
    await q.query(`INSERT INTO sessions (id, user_id, session_version, created_at, ended_at)
      SELECT family, MIN(user_id), 0, MIN(created_at), CASE WHEN COUNT(*) = COUNT(revoked_at) THEN MAX(revoked_at) ELSE NULL END
      FROM refresh_tokens GROUP BY family`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE sessions`);
    await q.query(`ALTER TABLE users DROP COLUMN session_version`);
  }
}
