import { ApiProperty } from '@nestjs/swagger';

export class DeletedPerResolutionResponse {
  @ApiProperty({ description: 'Raw readings deleted (including those of month partitions dropped)', example: 864000 })
  raw!: number;
  @ApiProperty({ description: '1-minute rollup rows deleted', example: 14400 })
  '1m'!: number;
  @ApiProperty({ description: '15-minute rollup rows deleted', example: 0 })
  '15m'!: number;
  @ApiProperty({ description: '1-hour rollup rows deleted', example: 0 })
  '1h'!: number;
}

/** What one run of the retention job did. */
export class RetentionRunReportResponse {
  @ApiProperty({ description: 'When the run started (ISO-8601 UTC)' })
  startedAt!: string;
  @ApiProperty({ description: 'When it finished' })
  finishedAt!: string;
  @ApiProperty({ type: DeletedPerResolutionResponse, description: 'Rows deleted per resolution' })
  deleted!: DeletedPerResolutionResponse;
  @ApiProperty({ description: 'Month partitions of measurements created ahead (PostgreSQL)', type: [String] })
  partitionsCreated!: string[];
  @ApiProperty({ description: 'Month partitions dropped whole (PostgreSQL)', type: [String] })
  partitionsDropped!: string[];
  @ApiProperty({ description: 'Devices whose readings were kept past their retention because the slave has not confirmed them yet', type: [Number] })
  heldBackDevices!: number[];
  @ApiProperty({ description: 'Why nothing was done (another instance was running the job), or null', type: String, nullable: true })
  skipped!: string | null;
}
