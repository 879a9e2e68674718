import { ApiProperty } from '@nestjs/swagger';

/** One resolution: what it holds (as the retention job last measured it) and how long it is kept. */
export class ResolutionStatusResponse {
  @ApiProperty({ description: 'raw (every stored value), 1m, 15m or 1h (rollups)', enum: ['raw', '1m', '15m', '1h'], example: 'raw' })
  resolution!: 'raw' | '1m' | '15m' | '1h';

  @ApiProperty({ description: "The rollup's bucket in milliseconds; null for raw readings", type: Number, nullable: true, example: null })
  bucketMs!: number | null;

  @ApiProperty({ description: 'Rows it held when the retention job last ran; null before its first run', type: Number, nullable: true, example: 7776000 })
  rows!: number | null;

  @ApiProperty({
    description: 'Bytes on disk it held then (table and index pages); null before the first run',
    type: Number,
    nullable: true,
    example: 398458880,
  })
  bytes!: number | null;

  @ApiProperty({
    description: 'How the bytes were measured: dbstat (SQLite, page by page), pg_total_relation_size (PostgreSQL) or estimate (rows × average row size)',
    type: String,
    nullable: true,
    example: 'dbstat',
  })
  bytesMeasuredBy!: string | null;

  @ApiProperty({
    description: "Days kept by the platform's default (RETENTION_RAW_DAYS and the like); null: forever",
    type: Number,
    nullable: true,
    example: 90,
  })
  retentionDays!: number | null;

  @ApiProperty({ description: 'Clients that have a retention of their own for this resolution (PATCH /api/clients/:id {retention})', example: 0 })
  clientsWithOwnRetention!: number;

  @ApiProperty({
    description: 'Rows the last run deleted (raw: including the rows of partitions dropped); null before the first run',
    type: Number,
    nullable: true,
    example: 86400,
  })
  deletedLastRun!: number | null;
}

export class RetentionRunResponse {
  @ApiProperty({ description: 'When the last run started (ISO-8601 UTC)', example: '2026-11-30T02:00:00.000Z' })
  startedAt!: string;

  @ApiProperty({ description: 'When it finished', example: '2026-11-30T02:00:41.000Z' })
  finishedAt!: string;

  @ApiProperty({ description: 'Month partitions of measurements it dropped whole (PostgreSQL; 0 on SQLite)', example: 0 })
  partitionsDropped!: number;
}

/** What each resolution holds and keeps, from the figures the daily retention job records (never counted per request). */
export class RetentionStatusResponse {
  @ApiProperty({ type: [ResolutionStatusResponse], description: 'Raw readings, then the 1-minute, 15-minute and hourly rollups' })
  resolutions!: ResolutionStatusResponse[];

  @ApiProperty({ description: 'The last run of the retention job; null when it has not run yet on this database', type: RetentionRunResponse, nullable: true })
  lastRun!: RetentionRunResponse | null;
}
