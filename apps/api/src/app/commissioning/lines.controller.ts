import { Body, Controller, HttpCode, Param, ParseUUIDPipe, Post, Get, Sse } from '@nestjs/common';
import { ApiBody, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Observable } from 'rxjs';
import { ApiErrors } from '../common/api-errors.decorator';
import { CallerScope } from '../common/caller-scope.decorator';
import type { ClientScope } from '../common/client-scope';
import { InvalidInputError } from '../common/domain-errors';
import { ScanJobResponse, ScanLineDto, ScanStartedResponse } from './dto/scan-line.dto';
import { LineScans } from './line-scans';

/** A job id in the path: a UUID, else a 400 naming it. */
const JobIdParam = () =>
  new ParseUUIDPipe({ exceptionFactory: () => InvalidInputError.forFields([{ field: 'jobId', message: 'jobId must be the UUID a scan answered' }]) });

@ApiTags('lines')
@Controller('lines')
export class LinesController {
  constructor(private readonly scans: LineScans) {}

  @Post('scan')
  @ApiOperation({ summary: 'Scan an RS485 line (or a Modbus TCP gateway) for the slave ids that answer; starts a job, one per line at a time' })
  @ApiCreatedResponse({ type: ScanStartedResponse, description: 'The scan job was created and runs' })
  @ApiErrors(400, 403, 409)
  @ApiBody({
    type: ScanLineDto,
    examples: {
      rtu: {
        summary: 'Every id of an RS485 line at 9600 baud',
        value: { connection: { transport: 'rtu', port: '/dev/serial/by-id/usb-FTDI-if00-port0', baudRate: 9600 }, from: 1, to: 247, timeoutMs: 200 },
      },
      gateway: {
        summary: 'Ids 1-10 behind a Modbus TCP gateway, holding register 0',
        value: {
          connection: { transport: 'tcp', host: '192.168.1.60', port: 502 },
          from: 1,
          to: 10,
          probe: { function: 3, address: 0, count: 1 },
          timeoutMs: 300,
        },
      },
    },
  })
  scanLine(@CallerScope() scope: ClientScope, @Body() dto: ScanLineDto): Promise<ScanStartedResponse> {
    return this.scans.start(scope, dto);
  }

  @Get('scan/:jobId')
  @ApiOperation({ summary: 'Progress of a line scan: ids scanned, devices found, estimated time left' })
  @ApiOkResponse({ type: ScanJobResponse })
  @ApiErrors(400, 404)
  getLineScan(@CallerScope() scope: ClientScope, @Param('jobId', JobIdParam()) jobId: string): ScanJobResponse {
    return this.scans.get(scope, jobId);
  }

  @Sse('scan/:jobId/events')
  @ApiOperation({
    summary: "A line scan's progress as server-sent events (text/event-stream): a `progress` event after each id, the stream ends with the scan",
  })
  @ApiOkResponse({
    description: 'text/event-stream of `progress` events, each data a ScanJobResponse',
    content: { 'text/event-stream': { schema: { type: 'string' } } },
  })
  @ApiErrors(400, 404)
  lineScanEvents(@CallerScope() scope: ClientScope, @Param('jobId', JobIdParam()) jobId: string): Observable<{ type: string; data: ScanJobResponse }> {
    return this.scans.events(scope, jobId);
  }

  @Post('scan/:jobId/cancel')
  @HttpCode(200)
  @ApiOperation({ summary: 'Cancel a line scan (after the probe in progress); answers its final state' })
  @ApiOkResponse({ type: ScanJobResponse })
  @ApiErrors(400, 404)
  cancelLineScan(@CallerScope() scope: ClientScope, @Param('jobId', JobIdParam()) jobId: string): Promise<ScanJobResponse> {
    return this.scans.cancel(scope, jobId);
  }
}
