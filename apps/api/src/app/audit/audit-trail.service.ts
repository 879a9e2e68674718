import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { mkdirSync } from 'node:fs';
import { FileHandle, open } from 'node:fs/promises';
import { dirname } from 'node:path';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { PRIVATE_FILE_MODE } from '../common/private-files';
import { sha256 } from '../common/sha256';
import { AuditRecord, formatAuditLine, readChainHead } from './audit-chain';

export type AuditEntry = Omit<AuditRecord, 'seq' | 'prev'>;

/**
 * Appends one hash-chained line per stored reading. Appends are queued so the
 * chain stays in commit order even when batches finish concurrently.
 */
@Injectable()
export class AuditTrailService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('AuditTrail');
  private handle?: FileHandle;
  private head = { seq: 0, hash: '' };
  private tail: Promise<void> = Promise.resolve();

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  async onModuleInit(): Promise<void> {
    mkdirSync(dirname(this.config.auditLogPath), { recursive: true });
    this.head = await readChainHead(this.config.auditLogPath);
    this.handle = await open(this.config.auditLogPath, 'a', PRIVATE_FILE_MODE);
  }

  append(entries: AuditEntry[]): Promise<void> {
    const run = this.tail.then(async () => {
      if (!this.handle || entries.length === 0) return;
      let text = '';
      for (const entry of entries) {
        const line = formatAuditLine({ seq: this.head.seq + 1, ...entry, prev: this.head.hash });
        this.head = { seq: this.head.seq + 1, hash: sha256(line) };
        text += line + '\n';
      }
      await this.handle.write(text);
    });
    this.tail = run.catch((err) => this.logger.error(`Cannot write the audit trail at ${this.config.auditLogPath}: ${err}`));
    return this.tail;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.tail;
    await this.handle?.sync().catch(() => undefined);
    await this.handle?.close();
    this.handle = undefined;
  }
}
