import { Controller, Get, HttpCode, Post } from '@nestjs/common';
import { ApiOkResponse, ApiTags, ApiOperation } from '@nestjs/swagger';
import { CurrentPrincipal } from '../auth/current-principal.decorator';
import type { Principal } from '../auth/principal';
import { MinRole } from '../auth/roles';
import { ApiErrors } from '../common/api-errors.decorator';
import { ForbiddenError } from '../common/domain-errors';
import { ForwardingStatusResponse, RetryDeadLettersResponse } from './dto/forwarding-status.response';
import { ForwardingService } from './forwarding.service';

/**
 * Forwarding is the plant's, not a client's: platform staff (operator or admin with no
 * client) only. A client's users and API keys get 403: the outbox mixes every client's readings.
 */
@ApiTags('forwarding')
@Controller('forwarding')
@MinRole('operator')
export class ForwardingController {
  constructor(private readonly forwarding: ForwardingService) {}

  /** Where forwarding to the next instance stands: target, backlog, last success and error, dead letters, outbox bound. */
  @Get('status')
  @ApiOkResponse({ type: ForwardingStatusResponse, description: 'Forwarding status' })
  @ApiOperation({ summary: 'Forwarding to the slave instance: outbox depth, lag, last error and dead letters' })
  getForwardingStatus(@CurrentPrincipal() p: Principal): Promise<ForwardingStatusResponse> {
    assertPlatformStaff(p);
    return this.forwarding.status();
  }

  /** Puts every dead-lettered reading back in the queue (after the next instance was fixed). */
  @Post('dead-letters/retry')
  @HttpCode(200)
  @ApiOkResponse({ type: RetryDeadLettersResponse, description: 'Dead letters re-queued' })
  @ApiErrors(403)
  @ApiOperation({ summary: 'Send the dead-lettered forwarding batches again' })
  async retryDeadLetters(@CurrentPrincipal() p: Principal): Promise<RetryDeadLettersResponse> {
    assertPlatformStaff(p);
    return { requeued: await this.forwarding.retryDeadLetters() };
  }
}

function assertPlatformStaff(p: Principal): void {
  if (p.kind !== 'user' || p.clientId !== null) throw new ForbiddenError('Forwarding is managed by the platform staff (a user with no client)');
}
