import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { InjectRepository } from '@nestjs/typeorm';
import { randomBytes, randomUUID } from 'node:crypto';
import { sha256 } from '../common/sha256';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Repository } from 'typeorm';
import { TooManyRequestsError, UnauthorizedError, InvalidInputError } from '../common/domain-errors';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { Database } from '../database/database.service';
import { User } from '../users/entities/user.entity';
import { MIN_PASSWORD_LENGTH, SessionUser, TokenResponse } from './dto/auth.dto';
import { RefreshToken } from './entities/refresh-token.entity';
import { LoginThrottle } from './login-throttle';
import { PasswordHasher } from './password-hasher';

const REFRESH_TTL_MS = 7 * 24 * 3600_000;

export interface AccessClaims {
  sub: number;
  role: User['role'];
  clientId: number | null;
  email: string;
}

export const toSessionUser = (u: User): SessionUser => ({ id: u.id, email: u.email, role: u.role, clientId: u.clientId, mustChangePassword: u.mustChangePassword });

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
    private readonly db: Database,
  ) {}

  /** First start: with no user at all, create the admin, so that someone can log in. */
  async onApplicationBootstrap(): Promise<void> {
    if ((await this.users.count()) > 0) return;
    const email = (this.config.adminEmail ?? 'admin@pieng.local').toLowerCase();
    const given = this.config.adminPassword;
    const password = given ?? randomBytes(12).toString('base64url');
    const passwordHash = await this.hasher.hash(password);
    try {
      await this.db.transaction((m) =>
        m.getRepository(User).save({ email, passwordHash, role: 'admin', clientId: null, active: true, mustChangePassword: !given, createdAt: Date.now(), lastLoginAt: null }),
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
    this.logger.warn(
      `First start: created the admin account ${email} with the password ${password} (also in ${file}, readable by this user only). ` +
        'Log in and change it: it is shown only this once.',
    );
  }

  async login(emailRaw: string, password: string, address: string): Promise<TokenResponse> {
    const email = emailRaw.toLowerCase();
    const wait = this.throttle.retryAfterSec(email, address);
    if (wait > 0) {
      this.logger.warn(`Login refused for ${email} from ${address}: too many failed attempts, retry in ${wait} s`);
      throw new TooManyRequestsError(`Too many failed logins; try again in ${Math.ceil(wait / 60)} minute(s)`, wait);
    }
    const user = await this.users.findOneBy({ email });
    // Verified even for an unknown email (against a decoy hash), so timing does not tell which emails exist.
    const ok = await this.hasher.verify(user?.passwordHash ?? null, password);
    if (!user || !ok || !user.active) {
      this.throttle.recordFailure(email, address);
      this.logger.warn(`Login failed for ${email} from ${address}${user && ok && !user.active ? ' (account disabled)' : ''}`);
      throw new UnauthorizedError('Wrong email or password');
    }
    this.throttle.recordSuccess(email);
    await this.db.transaction((m) => m.getRepository(User).update({ id: user.id }, { lastLoginAt: Date.now() }));
    this.logger.log(`Login succeeded for ${email} from ${address}`);
    return this.issue(user, randomUUID());
  }

  /** Rotates a refresh token. A token presented twice means it leaked: its whole family is revoked. */
  async refresh(refreshToken: string): Promise<TokenResponse> {
    const stored = await this.tokens.findOneBy({ tokenHash: sha256(refreshToken) });
    if (!stored) throw new UnauthorizedError('Unknown refresh token; log in again');
    if (stored.revokedAt !== null) {
      await this.revokeFamily(stored.family);
      this.logger.warn(`Refresh token reused for user ${stored.userId}: every session of that login was revoked`);
      throw new UnauthorizedError('This refresh token was already used; for safety the session was ended. Log in again');
    }
    if (stored.expiresAt < Date.now()) throw new UnauthorizedError('Session expired; log in again');
    const user = await this.users.findOneBy({ id: stored.userId });
    if (!user || !user.active) throw new UnauthorizedError('Account disabled');
    // Only the first of two concurrent refreshes with the same token wins the update.
    const revoked = await this.db.transaction((m) =>
      this.db.execute('UPDATE refresh_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL', [Date.now(), stored.id], m),
    );
    if (revoked === 0) {
      await this.revokeFamily(stored.family);
      throw new UnauthorizedError('This refresh token was already used; for safety the session was ended. Log in again');
    }
    return this.issue(user, stored.family);
  }

  async logout(refreshToken: string): Promise<boolean> {
    const stored = await this.tokens.findOneBy({ tokenHash: sha256(refreshToken) });
    if (!stored) return false;
    await this.revokeFamily(stored.family);
    return true;
  }

  async changePassword(userId: number, current: string, next: string): Promise<void> {
    const user = await this.users.findOneByOrFail({ id: userId });
    if (!(await this.hasher.verify(user.passwordHash, current))) throw InvalidInputError.forFields([{ field: 'currentPassword', message: 'is not the current password' }]);
    if (next.length < MIN_PASSWORD_LENGTH) throw InvalidInputError.forFields([{ field: 'newPassword', message: `must be at least ${MIN_PASSWORD_LENGTH} characters long` }]);
    const passwordHash = await this.hasher.hash(next);
    await this.db.transaction(async (m) => {
      await m.getRepository(User).update({ id: userId }, { passwordHash, mustChangePassword: false });
      // Sessions started with the old password end with it.
      await m.query(this.db.sql('UPDATE refresh_tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL'), [Date.now(), userId]);
    });
    this.logger.log(`Password changed for ${user.email}`);
  }

  verifyAccessToken(token: string): AccessClaims {
    try {
      return this.jwt.verify<AccessClaims>(token);
    } catch {
      throw new UnauthorizedError('Your session has expired or the token is invalid; log in again');
    }
  }

  private async issue(user: User, family: string): Promise<TokenResponse> {
    const claims: AccessClaims = { sub: user.id, role: user.role, clientId: user.clientId, email: user.email };
    const accessToken = this.jwt.sign(claims);
    const refreshToken = randomBytes(32).toString('base64url');
    const now = Date.now();
    await this.db.transaction((m) =>
      m.getRepository(RefreshToken).save({ userId: user.id, family, tokenHash: sha256(refreshToken), expiresAt: now + REFRESH_TTL_MS, revokedAt: null, createdAt: now }),
    );
    return { accessToken, refreshToken, expiresIn: this.config.accessTokenTtlSec, user: toSessionUser(user) };
  }

  private async revokeFamily(family: string): Promise<void> {
    await this.db.transaction((m) => m.query(this.db.sql('UPDATE refresh_tokens SET revoked_at = ? WHERE family = ? AND revoked_at IS NULL'), [Date.now(), family]));
  }
}
