import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
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
  async createApiKey(@CallerScope() scope: ClientScope, @CurrentPrincipal() p: Principal, @Body() dto: CreateApiKeyDto): Promise<CreatedApiKeyResponse> {
    const { key, record } = await this.keys.create(scope, dto, p.kind === 'user' ? p.userId : null);
    return { ...ApiKeyResponse.from(record), key };
  }

  @Get()
  @ApiOkResponse({ type: [ApiKeyResponse] })
  async listApiKeys(@CallerScope() scope: ClientScope): Promise<ApiKeyResponse[]> {
    return (await this.keys.list(scope)).map(ApiKeyResponse.from);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiErrors(400, 404)
  @ApiNoContentResponse({ description: 'The key was revoked' })
  async revokeApiKey(@CallerScope() scope: ClientScope, @Param('id', IdParam()) id: number): Promise<void> {
    await this.keys.revoke(scope, id);
  }
}
