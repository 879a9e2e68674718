import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { Database } from '../database/database.service';
import type { RetentionStatusResponse } from './dto/retention-status.response';
import { RESOLUTIONS } from './retention-policy';

interface StatusRow {
  resolution: string;
  stored_rows: number | string;
  stored_bytes: number | string;
  bytes_measured_by: string;
  deleted_rows: number | string;
  partitions_dropped: number | string;
  run_started_at: number | string;
  run_finished_at: number | string;
}

/** The status route's answer: the retention job's recorded figures and the retention in force. */
@Injectable()
export class RetentionStatusService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly db: Database,
  ) {}

  async status(): Promise<RetentionStatusResponse> {
    const rows = new Map((await this.db.query<StatusRow>('SELECT * FROM retention_status')).map((r) => [r.resolution, r]));
    // The clients table is small (one row per customer): counting its overrides is not counting readings.
    const [own] = await this.db.query<Record<string, number | string>>(
      'SELECT COUNT(retention_raw_days) AS retention_raw_days, COUNT(retention_1m_days) AS retention_1m_days, COUNT(retention_15m_days) AS retention_15m_days, COUNT(retention_1h_days) AS retention_1h_days FROM clients',
    );
    const raw = rows.get('raw');
    return {
      resolutions: RESOLUTIONS.map((r) => {
        const row = rows.get(r.resolution);
        return {
          resolution: r.resolution,
          bucketMs: r.bucketMs,
          rows: row ? Number(row.stored_rows) : null,
          bytes: row ? Number(row.stored_bytes) : null,
          bytesMeasuredBy: row?.bytes_measured_by ?? null,
          retentionDays: this.config.retention.days[r.setting],
          clientsWithOwnRetention: Number(own[r.column]),
          deletedLastRun: row ? Number(row.deleted_rows) : null,
        };
      }),
      lastRun: raw
        ? {
            startedAt: new Date(Number(raw.run_started_at)).toISOString(),
            finishedAt: new Date(Number(raw.run_finished_at)).toISOString(),
            partitionsDropped: Number(raw.partitions_dropped),
          }
        : null,
    };
  }
}
