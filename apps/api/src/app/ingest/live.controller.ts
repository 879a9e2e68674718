import { Controller, MessageEvent, Query, Sse } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { filter, map, Observable } from 'rxjs';
import { CallerScope } from '../common/caller-scope.decorator';
import type { ClientScope } from '../common/client-scope';
import { ApiErrors } from '../common/api-errors.decorator';
import { LiveQuery } from './dto/live.query';
import { LiveReadings } from './live-readings';

@ApiTags('ingest')
@Controller('live')
export class LiveController {
  constructor(private readonly live: LiveReadings) {}

  /** Server-sent events: one `reading` event per stored reading, as it is committed. */
  @Sse()
  @ApiOperation({ summary: 'Live readings as server-sent events (text/event-stream); each event\'s data is {deviceId, ts, source, metrics}' })
  @ApiOkResponse({ description: 'An endless text/event-stream', content: { 'text/event-stream': { schema: { type: 'string' } } } })
  @ApiErrors(400)
  streamReadings(@CallerScope() scope: ClientScope, @Query() q: LiveQuery): Observable<MessageEvent> {
    return this.live.stream.pipe(
      filter((r) => (scope.clientId === null || r.clientId === scope.clientId) && (q.clientId === undefined || r.clientId === q.clientId) && (q.deviceId === undefined || r.deviceId === q.deviceId)),
      map((r) => ({ type: 'reading', data: { deviceId: r.deviceId, ts: new Date(r.ts).toISOString(), source: r.source, metrics: r.metrics } })),
    );
  }
}
