import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal } from '../auth/current-principal.decorator';
import type { Principal } from '../auth/principal';
import { MinRole } from '../auth/roles';
import { ApiErrors } from '../common/api-errors.decorator';
import { ForbiddenError } from '../common/domain-errors';
import { RetentionStatusResponse } from './dto/retention-status.response';
import { RetentionStatusService } from './retention-status.service';

/**
 * Retention is the plant's (its disk), not a client's: platform staff only. A client's users and
 * API keys get 403: the figures cover every client's readings.
 */
@ApiTags('retention')
@Controller('retention')
@MinRole('operator')
export class RetentionController {
  constructor(private readonly retention: RetentionStatusService) {}

  /** Rows and bytes per resolution (raw, 1m, 15m, 1h) as the retention job last recorded them, the retention in force, and the job's last run. */
  @Get('status')
  @ApiErrors(403)
  @ApiOkResponse({ type: RetentionStatusResponse, description: 'Retention status' })
  getRetentionStatus(@CurrentPrincipal() p: Principal): Promise<RetentionStatusResponse> {
    if (p.kind !== 'user' || p.clientId !== null) throw new ForbiddenError('Retention is managed by the platform staff (a user with no client)');
    return this.retention.status();
  }
}
