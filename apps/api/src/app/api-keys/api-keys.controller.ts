import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBody, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiTags, ApiOperation } from '@nestjs/swagger';
import { CurrentPrincipal } from '../auth/current-principal.decorator';
import type { Principal } from '../auth/principal';
import { MinRole } from '../auth/roles';
import { ApiErrors } from '../common/api-errors.decorator';
import { CallerScope } from '../common/caller-scope.decorator';
import type { ClientScope } from '../common/client-scope';
import { IdParam } from '../common/id-param';
import { ApiKeysService } from './api-keys.service';
import { ApiKeyResponse, CreateApiKeyDto, CreatedApiKeyResponse } from './dto/api-key.dto';

@ApiTags('api-keys')
@Controller('api-keys')
@MinRole('operator')
export class ApiKeysController {
  constructor(private readonly keys: ApiKeysService) {}

  /** The key is in this answer only: store it now. */
  @Post()
  @ApiErrors(400, 404)
  @ApiCreatedResponse({ type: CreatedApiKeyResponse, description: 'The key, shown this once' })
  @ApiOperation({ summary: 'Create an API key (ingest, read or forward scope); the secret is shown only in this answer' })
  @ApiBody({
    type: CreateApiKeyDto,
    examples: {
      gateway: { summary: 'A gateway that pushes readings of client 1', value: { name: 'Gateway at the pump house', scope: 'ingest', clientId: 1 } },
      slave: { summary: 'The slave instance this one forwards to', value: { name: 'Slave instance at the head office', scope: 'forward', clientId: 1 } },
    },
  })
  async createApiKey(@CallerScope() scope: ClientScope, @CurrentPrincipal() p: Principal, @Body() dto: CreateApiKeyDto): Promise<CreatedApiKeyResponse> {
    const { key, record } = await this.keys.create(scope, dto, p.kind === 'user' ? p.userId : null);
    return { ...ApiKeyResponse.from(record), key };
  }

  @Get()
  @ApiOkResponse({ type: [ApiKeyResponse] })
  @ApiOperation({ summary: 'List API keys (never their secrets)' })
  async listApiKeys(@CallerScope() scope: ClientScope): Promise<ApiKeyResponse[]> {
    return (await this.keys.list(scope)).map(ApiKeyResponse.from);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiErrors(400, 404)
  @ApiNoContentResponse({ description: 'The key was revoked' })
  @ApiOperation({ summary: 'Revoke an API key: requests with it answer 401 from now on' })
  async revokeApiKey(@CallerScope() scope: ClientScope, @Param('id', IdParam()) id: number): Promise<void> {
    await this.keys.revoke(scope, id);
  }
}
