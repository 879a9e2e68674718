import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiTags } from '@nestjs/swagger';
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
  @ApiBody({ type: IngestRequestDto })
  @ApiOkResponse({ type: IngestResponse, description: 'The batch was stored (duplicates are kept once and counted)' })
  @ApiErrors(400, 403, 404, 409, 413, 503, 507)
  ingestReadings(@CallerScope() scope: ClientScope, @CurrentPrincipal() principal: Principal, @Body() body: unknown): Promise<IngestResponse> {
    return this.ingest.ingestRequest(validateIngestBody(body), scope, principal.kind === 'user' || principal.scope === 'forward');
  }
}
