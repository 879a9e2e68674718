import { Controller, Get, HttpCode, Post } from '@nestjs/common';
import { ApiOkResponse, ApiTags, ApiOperation } from '@nestjs/swagger';
import { CurrentPrincipal } from '../auth/current-principal.decorator';
import type { Principal } from '../auth/principal';
import { MinRole } from '../auth/roles';
import { ApiErrors } from '../common/api-errors.decorator';
import { ForbiddenError } from '../common/domain-errors';
import { RetentionRunReportResponse } from './dto/retention-run.response';
import { RetentionStatusResponse } from './dto/retention-status.response';
import { RetentionStatusService } from './retention-status.service';
import { RetentionService } from './retention.service';

/**
 * Retention is the plant's (its disk), not a client's: platform staff only. A client's users and
 * API keys get 403: the figures cover every client's readings.
 */
@ApiTags('retention')
@Controller('retention')
@MinRole('operator')
export class RetentionController {
  constructor(
    private readonly retention: RetentionStatusService,
    private readonly job: RetentionService,
  ) {}

  /** Rows and bytes per resolution (raw, 1m, 15m, 1h) as the retention job last recorded them, the retention in force, and the job's last run. */
  @Get('status')
  @ApiErrors(403)
  @ApiOkResponse({ type: RetentionStatusResponse, description: 'Retention status' })
  @ApiOperation({ summary: 'Rows and bytes held per resolution, as the retention job last recorded them' })
  getRetentionStatus(@CurrentPrincipal() p: Principal): Promise<RetentionStatusResponse> {
    assertPlatformStaff(p);
    return this.retention.status();
  }

  /**
   * Runs the daily retention job now (after a retention was shortened, say) and answers when it is
   * done, which on a big deletion takes minutes; ingest goes on meanwhile. A run already going is
   * joined, not started twice.
   */
  @Post('run')
  @MinRole('admin')
  @HttpCode(200)
  @ApiErrors(403, 507)
  @ApiOkResponse({ type: RetentionRunReportResponse, description: 'What the run deleted' })
  @ApiOperation({ summary: "Run the retention job now (deletes what each client's retention allows)" })
  async runRetention(@CurrentPrincipal() p: Principal): Promise<RetentionRunReportResponse> {
    assertPlatformStaff(p);
    const report = await this.job.run();
    return {
      startedAt: new Date(report.startedAt).toISOString(),
      finishedAt: new Date(report.finishedAt).toISOString(),
      deleted: report.deleted,
      partitionsCreated: report.partitionsCreated,
      partitionsDropped: report.partitionsDropped,
      heldBackDevices: report.heldBackDevices,
      skipped: report.skipped ?? null,
    };
  }
}

function assertPlatformStaff(p: Principal): void {
  if (p.kind !== 'user' || p.clientId !== null) throw new ForbiddenError('Retention is managed by the platform staff (a user with no client)');
}
