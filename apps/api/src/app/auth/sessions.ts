import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { Database } from '../database/database.service';
import type { Role } from './roles';

/** A session with its user, as the database has them now. */
export interface SessionRecord {
  userId: number;
  email: string;
  role: Role;
  clientId: number | null;
  active: boolean;
  /** Why the session may no longer be used, or null while it is live. */
  over: 'ended' | 'password changed' | 'account disabled' | null;
}

/**
 * Logins (the `sessions` table): one per login, shared by every access and refresh token rotated from
 * it. Logout and a reused refresh token end one session; a password change ends all of a user's
 * sessions (but the one that made it) by bumping the user's session version. Kept in the database, so
 * that every instance sees the end at once.
 */
@Injectable()
export class Sessions {
  constructor(private readonly db: Database) {}

  /** The user's session version: read before the password is checked, so that a password changed meanwhile ends the new session too. */
  async versionOf(userId: number): Promise<number> {
    const [row] = await this.db.query<{ session_version: number | string }>('SELECT session_version FROM users WHERE id = ?', [userId]);
    return Number(row?.session_version ?? 0);
  }

  /** Starts a session in the caller's transaction; returns its id (the refresh-token family). */
  async start(userId: number, version: number, m: EntityManager): Promise<string> {
    const id = randomUUID();
    await m.query(this.db.sql('INSERT INTO sessions (id, user_id, session_version, created_at, ended_at) VALUES (?, ?, ?, ?, NULL)'), [
      id,
      userId,
      version,
      Date.now(),
    ]);
    return id;
  }

  /** One query, run for every request with an access token. */
  async find(sessionId: string): Promise<SessionRecord | undefined> {
    return (await this.findMany([sessionId])).get(sessionId);
  }

  /** Sessions by id with their users, one query per 500 (the live streams' periodic check). */
  async findMany(sessionIds: string[]): Promise<Map<string, SessionRecord>> {
    const out = new Map<string, SessionRecord>();
    for (let i = 0; i < sessionIds.length; i += 500) {
      const ids = sessionIds.slice(i, i + 500);
      const rows = await this.db.query<{
        id: string;
        user_id: number;
        email: string;
        role: Role;
        client_id: number | null;
        active: boolean | number;
        ended_at: number | string | null;
        session_version: number | string;
        user_version: number | string;
      }>(
        `SELECT s.id, u.id AS user_id, u.email, u.role, u.client_id, u.active, s.ended_at, s.session_version, u.session_version AS user_version
         FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id IN (${ids.map(() => '?').join(',')})`,
        ids,
      );
      for (const row of rows) {
        const active = row.active === true || Number(row.active) === 1;
        // The most telling reason first: a password change and a disabled account also end the sessions.
        const over = !active
          ? 'account disabled'
          : Number(row.session_version) !== Number(row.user_version)
            ? 'password changed'
            : row.ended_at !== null
              ? 'ended'
              : null;
        out.set(row.id, {
          userId: Number(row.user_id),
          email: row.email,
          role: row.role,
          clientId: row.client_id === null ? null : Number(row.client_id),
          active,
          over,
        });
      }
    }
    return out;
  }

  async end(sessionId: string): Promise<void> {
    await this.db.transaction((m) => m.query(this.db.sql('UPDATE sessions SET ended_at = ? WHERE id = ? AND ended_at IS NULL'), [Date.now(), sessionId]));
  }

  /**
   * Ends every session of a user, in the caller's transaction. With `passwordChanged` the user's
   * session version moves on, which also ends a session whose login was checking the old password
   * at this moment; `keep` (the session that changed its own password) moves on with it.
   */
  async endAllOf(userId: number, m: EntityManager, options: { passwordChanged: boolean; keep?: string }): Promise<void> {
    const now = Date.now();
    if (options.passwordChanged) await m.query(this.db.sql('UPDATE users SET session_version = session_version + 1 WHERE id = ?'), [userId]);
    if (options.keep) {
      await m.query(this.db.sql('UPDATE sessions SET ended_at = ? WHERE user_id = ? AND id <> ? AND ended_at IS NULL'), [now, userId, options.keep]);
      await m.query(this.db.sql('UPDATE sessions SET session_version = (SELECT session_version FROM users WHERE id = ?) WHERE id = ?'), [userId, options.keep]);
    } else {
      await m.query(this.db.sql('UPDATE sessions SET ended_at = ? WHERE user_id = ? AND ended_at IS NULL'), [now, userId]);
    }
  }
}
