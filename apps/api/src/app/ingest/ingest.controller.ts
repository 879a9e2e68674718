import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiTags, ApiOperation } from '@nestjs/swagger';
import { AcceptsIngestKey, CurrentPrincipal } from '../auth/current-principal.decorator';
import type { Principal } from '../auth/principal';
import { ApiErrors } from '../common/api-errors.decorator';
import { CallerScope } from '../common/caller-scope.decorator';
import type { ClientScope } from '../common/client-scope';
import { IngestRequestDto, IngestResponse } from './dto/ingest-request.dto';
import { validateIngestBody } from './ingest-validation';
import { IngestService } from './ingest.service';

@ApiTags('ingest')
@Controller('ingest')
export class IngestController {
  constructor(private readonly ingest: IngestService) {}

  /**
   * Store a batch of readings pushed by a device, a gateway or another system. Readings may name
   * their device by uid; another instance forwarding (source `forward`) describes new devices in
   * `devices`, and they are created under the API key's client on first sight: only for an API key
   * of scope `forward` or a user (an `ingest` key naming an unknown uid gets 403), and within the
   * client's device limit (409).
   */
  @Post()
  @AcceptsIngestKey()
  @HttpCode(200)
  @ApiOkResponse({ type: IngestResponse, description: 'The batch was stored (duplicates are kept once and counted)' })
  @ApiErrors(400, 403, 404, 409, 413, 503, 507)
  @ApiOperation({ summary: 'Store a batch of readings (all or nothing; duplicates are counted and kept once)' })
  @ApiBody({
    type: IngestRequestDto,
    examples: {
      byId: {
        summary: 'Two readings of device 1',
        value: {
          readings: [
            { deviceId: 1, timestamp: '2026-11-30T12:00:00Z', metrics: { voltage: 229.8, current: 4.12, power: 912.5, energy: 15234.7 } },
            { deviceId: 1, timestamp: '2026-11-30T12:00:10Z', metrics: { voltage: 230.1, current: 4.1, power: 909.8, energy: 15237.2 } },
          ],
        },
      },
      byUid: {
        summary: 'A gateway naming its meter by uid',
        value: { readings: [{ deviceUid: 'gw3-meter-2', timestamp: 1796040000000, metrics: { power: 1520, powerFactor: 0.94 } }] },
      },
    },
  })
  ingestReadings(@CallerScope() scope: ClientScope, @CurrentPrincipal() principal: Principal, @Body() body: unknown): Promise<IngestResponse> {
    return this.ingest.ingestRequest(validateIngestBody(body), scope, principal.kind === 'user' || principal.scope === 'forward');
  }
}
