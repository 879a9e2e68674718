import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { InjectRepository } from '@nestjs/typeorm';
import { randomBytes } from 'node:crypto';
import { sha256 } from '../common/sha256';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EntityManager, Repository } from 'typeorm';
import { TooManyRequestsError, UnauthorizedError, InvalidInputError } from '../common/domain-errors';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { Database } from '../database/database.service';
import { User } from '../users/entities/user.entity';
import { MIN_PASSWORD_LENGTH, SessionUser, TokenResponse } from './dto/auth.dto';
import { RefreshToken } from './entities/refresh-token.entity';
import { LoginThrottle } from './login-throttle';
import { PasswordHasher } from './password-hasher';
import type { Principal } from './principal';
import { Sessions } from './sessions';

const REFRESH_TTL_MS = 7 * 24 * 3600_000;

export interface AccessClaims {
  sub: number;
  /** The session (login) the token belongs to: the guard checks it is still live. */
  sid: string;
  role: User['role'];
  clientId: number | null;
  email: string;
}

export const toSessionUser = (u: User): SessionUser => ({
  id: u.id,
  email: u.email,
  role: u.role,
  clientId: u.clientId,
  mustChangePassword: u.mustChangePassword,
});

@Injectable()
export class AuthService implements OnApplicationBootstrap {
  private readonly logger = new Logger('Auth');

  constructor(
    @InjectRepository(User) private readonly users: Repository<User>,
    @InjectRepository(RefreshToken) private readonly tokens: Repository<RefreshToken>,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly jwt: JwtService,
    private readonly hasher: PasswordHasher,
    private readonly throttle: LoginThrottle,
    private readonly sessions: Sessions,
    private readonly db: Database,
  ) {}

  /** The first admin's generated password, said again once the server listens (the last line an operator sees at start). */
  firstStartNotice: string | undefined;

  /** First start: with no user at all, create the admin, so that someone can log in. */
  async onApplicationBootstrap(): Promise<void> {
    if ((await this.users.count()) > 0) return;
    const email = (this.config.adminEmail ?? 'admin@pieng.local').toLowerCase();
    const given = this.config.adminPassword;
    const password = given ?? randomBytes(12).toString('base64url');
    const passwordHash = await this.hasher.hash(password);
    try {
      await this.db.transaction((m) =>
        m
          .getRepository(User)
          .save({ email, passwordHash, role: 'admin', clientId: null, active: true, mustChangePassword: !given, createdAt: Date.now(), lastLoginAt: null }),
      );
    } catch (err) {
      // Another instance on the same database created it first.
      if ((await this.users.count()) > 0) return;
      throw err;
    }
    if (given) {
      this.logger.log(`First start: created the admin account ${email} with the password from ADMIN_PASSWORD. Log in at the console or POST /api/auth/login.`);
      return;
    }
    const file = join(this.config.dataDir, 'initial-admin-password');
    writeFileSync(file, password + '\n', { mode: 0o600 });
    chmodSync(file, 0o600);
    this.firstStartNotice =
      `First start: created the admin account ${email} with the password ${password} (also in ${file}, readable by this user only). ` +
      'Log in and change it: it is shown only this once.';
    this.logger.warn(this.firstStartNotice);
  }

  async login(emailRaw: string, password: string, address: string): Promise<TokenResponse> {
    const email = emailRaw.toLowerCase();
    // Counted before the password is checked: parallel guesses beyond the limit are refused, not checked.
    const attempt = this.throttle.attempt(email, address);
    if ('retryAfterSec' in attempt) {
      const wait = attempt.retryAfterSec;
      this.logger.warn(`Login refused for ${email} from ${address}: too many failed attempts, retry in ${wait} s`);
      throw new TooManyRequestsError(`Too many failed logins; try again in ${Math.ceil(wait / 60)} minute(s)`, wait);
    }
    const user = await this.users.findOneBy({ email });
    // Read before the (slow) check: a password changed meanwhile ends the session this login starts.
    const version = user ? await this.sessions.versionOf(user.id) : 0;
    let ok: boolean;
    try {
      // Verified even for an unknown email (against a decoy hash), so timing does not tell which emails exist.
      ok = await this.hasher.verify(user?.passwordHash ?? null, password);
    } catch (err) {
      attempt.withdraw();
      throw err;
    }
    if (!user || !ok || !user.active) {
      this.logger.warn(`Login failed for ${email} from ${address}${user && ok && !user.active ? ' (account disabled)' : ''}`);
      throw new UnauthorizedError('Wrong email or password');
    }
    attempt.succeeded();
    const tokens = await this.db.transaction(async (m) => {
      await m.getRepository(User).update({ id: user.id }, { lastLoginAt: Date.now() });
      return this.issue(user, await this.sessions.start(user.id, version, m), m);
    });
    this.logger.log(`Login succeeded for ${email} from ${address}`);
    return tokens;
  }

  /** Rotates a refresh token. A token presented twice means it leaked: its session is ended. */
  async refresh(refreshToken: string): Promise<TokenResponse> {
    const stored = await this.tokens.findOneBy({ tokenHash: sha256(refreshToken) });
    if (!stored) throw new UnauthorizedError('Unknown refresh token; log in again');
    const session = await this.sessions.find(stored.family);
    if (!session || session.over) throw new UnauthorizedError('This session has ended (logout, password change or a disabled account); log in again');
    if (stored.revokedAt !== null) {
      await this.sessions.end(stored.family);
      this.logger.warn(`Refresh token reused for user ${stored.userId}: the session of that login was ended`);
      throw new UnauthorizedError('This refresh token was already used; for safety the session was ended. Log in again');
    }
    if (stored.expiresAt < Date.now()) throw new UnauthorizedError('Session expired; log in again');
    const user = await this.users.findOneByOrFail({ id: stored.userId });
    // Only the first of two concurrent refreshes with the same token wins the update.
    const tokens = await this.db.transaction(async (m) => {
      const revoked = await this.db.execute('UPDATE refresh_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL', [Date.now(), stored.id], m);
      return revoked === 0 ? null : this.issue(user, stored.family, m);
    });
    if (!tokens) {
      await this.sessions.end(stored.family);
      throw new UnauthorizedError('This refresh token was already used; for safety the session was ended. Log in again');
    }
    return tokens;
  }

  /** Ends the session the refresh token belongs to: its access tokens stop working at once. */
  async logout(refreshToken: string): Promise<boolean> {
    const stored = await this.tokens.findOneBy({ tokenHash: sha256(refreshToken) });
    if (!stored) return false;
    await this.sessions.end(stored.family);
    return true;
  }

  /** Every other session of the user ends at once; the one that changed the password goes on. */
  async changePassword(user: Extract<Principal, { kind: 'user' }>, current: string, next: string): Promise<void> {
    const stored = await this.users.findOneByOrFail({ id: user.userId });
    if (!(await this.hasher.verify(stored.passwordHash, current)))
      throw InvalidInputError.forFields([{ field: 'currentPassword', message: 'is not the current password' }]);
    if (next.length < MIN_PASSWORD_LENGTH)
      throw InvalidInputError.forFields([{ field: 'newPassword', message: `must be at least ${MIN_PASSWORD_LENGTH} characters long` }]);
    const passwordHash = await this.hasher.hash(next);
    await this.db.transaction(async (m) => {
      await m.getRepository(User).update({ id: user.userId }, { passwordHash, mustChangePassword: false });
      await this.sessions.endAllOf(user.userId, m, { passwordChanged: true, keep: user.sessionId });
    });
    this.logger.log(`Password changed for ${stored.email}; the account's other sessions were ended`);
  }

  verifyAccessToken(token: string): AccessClaims {
    try {
      return this.jwt.verify<AccessClaims>(token);
    } catch {
      throw new UnauthorizedError('Your session has expired or the token is invalid; log in again');
    }
  }

  /** Tokens for a session, the refresh token stored in the caller's transaction. */
  private async issue(user: User, sessionId: string, m: EntityManager): Promise<TokenResponse> {
    const claims: AccessClaims = { sub: user.id, sid: sessionId, role: user.role, clientId: user.clientId, email: user.email };
    const accessToken = this.jwt.sign(claims);
    const refreshToken = randomBytes(32).toString('base64url');
    const now = Date.now();
    await m
      .getRepository(RefreshToken)
      .save({ userId: user.id, family: sessionId, tokenHash: sha256(refreshToken), expiresAt: now + REFRESH_TTL_MS, revokedAt: null, createdAt: now });
    return { accessToken, refreshToken, expiresIn: this.config.accessTokenTtlSec, user: toSessionUser(user) };
  }
}
