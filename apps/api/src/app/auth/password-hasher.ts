import { Injectable } from '@nestjs/common';
import * as argon2 from 'argon2';
import { ServiceUnavailableError } from '../common/domain-errors';

/**
 * Hashes running at once. argon2 runs on libuv's thread pool (4 threads), which the SQLite driver's
 * statements and file writes also need: a flood of logins must leave threads (and cores) for them,
 * or ingest stalls for as long as the flood lasts.
 */
export const MAX_CONCURRENT_HASHES = 2;
/** Hashes waiting for a turn; beyond this a login is refused at once (503, Retry-After) rather than queued for ever. */
export const MAX_WAITING_HASHES = 16;

/** argon2id with the library's defaults (19 MiB, 2 passes): the OWASP baseline. Every hash and check of the application waits its turn here. */
@Injectable()
export class PasswordHasher {
  /** Verified against when the email is unknown, so both cases take the same time. */
  private readonly decoy = argon2.hash('decoy password that matches nothing', { type: argon2.argon2id });
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  hash(password: string): Promise<string> {
    return this.inTurn(() => argon2.hash(password, { type: argon2.argon2id }));
  }

  async verify(hash: string | null, password: string): Promise<boolean> {
    const against = hash ?? (await this.decoy);
    return this.inTurn(async () => {
      try {
        return await argon2.verify(against, password);
      } catch {
        return false;
      }
    });
  }

  private async inTurn<T>(work: () => Promise<T>): Promise<T> {
    if (this.running < MAX_CONCURRENT_HASHES) this.running++;
    else if (this.waiting.length >= MAX_WAITING_HASHES)
      throw new ServiceUnavailableError('The server is busy checking other logins; try again in a few seconds', 5);
    // The one finishing hands its turn straight to the first in line, so running never drops in between.
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    try {
      return await work();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }
}
