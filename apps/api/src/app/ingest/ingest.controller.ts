import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { AcceptsIngestKey } from '../auth/current-principal.decorator';
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
   * `devices`, and they are created under the API key's client on first sight.
   */
  @Post()
  @AcceptsIngestKey()
  @HttpCode(200)
  @ApiBody({ type: IngestRequestDto })
  @ApiOkResponse({ type: IngestResponse, description: 'The batch was stored (duplicates are kept once and counted)' })
  @ApiErrors(400, 404, 409, 413, 507)
  ingestReadings(@CallerScope() scope: ClientScope, @Body() body: unknown): Promise<IngestResponse> {
    return this.ingest.ingestRequest(validateIngestBody(body), scope);
  }
}
