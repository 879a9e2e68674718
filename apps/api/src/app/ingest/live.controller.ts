import { Controller, Get, Query, Req, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { CurrentPrincipal } from '../auth/current-principal.decorator';
import type { Principal } from '../auth/principal';
import { ApiErrors } from '../common/api-errors.decorator';
import { CallerScope } from '../common/caller-scope.decorator';
import type { ClientScope } from '../common/client-scope';
import { ErrorBody } from '../common/error-body';
import { LiveQuery } from './dto/live.query';
import { LiveReadings } from './live-readings';

@ApiTags('ingest')
@Controller('live')
export class LiveController {
  constructor(private readonly live: LiveReadings) {}

  /**
   * Server-sent events: one `reading` event per stored reading, as it is committed. The answer is
   * written by LiveReadings itself (hence @Res()): it serialises each reading once for all the
   * streams of its client, where @Sse() would serialise and queue it once per stream.
   */
  @Get()
  @ApiOperation({
    summary: "Live readings as server-sent events (text/event-stream); each event's data is {deviceId, ts, source, metrics}",
    description:
      'The stream ends when the user is disabled, deleted or moved to another client, or the API key revoked (reconnect to go on with the current rights), ' +
      'and when the server stops. A user or key may hold LIVE_STREAMS_PER_PRINCIPAL streams (default 10) at once.',
  })
  @ApiOkResponse({ description: 'An endless text/event-stream', content: { 'text/event-stream': { schema: { type: 'string' } } } })
  @ApiErrors(400)
  @ApiResponse({ status: 429, description: 'This user or API key already has its maximum of live streams open; see the Retry-After header', type: ErrorBody })
  streamReadings(
    @CurrentPrincipal() principal: Principal,
    @CallerScope() scope: ClientScope,
    @Query() q: LiveQuery,
    @Req() req: Request,
    @Res() res: Response,
  ): void {
    this.live.open(principal, scope, { clientId: q.clientId, deviceId: q.deviceId }, req, res);
  }
}
