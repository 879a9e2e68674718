import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { MinRole } from '../auth/roles';
import { ApiErrors } from '../common/api-errors.decorator';
import { CallerScope } from '../common/caller-scope.decorator';
import type { ClientScope } from '../common/client-scope';
import { IdParam } from '../common/id-param';
import { ClientResponse } from './dto/client.response';
import { CreateClientDto } from './dto/create-client.dto';
import { UpdateClientDto } from './dto/update-client.dto';
import { ClientsService } from './clients.service';

@ApiTags('clients')
@Controller('clients')
export class ClientsController {
  constructor(private readonly clients: ClientsService) {}

  @Get()
  @ApiOkResponse({ type: [ClientResponse] })
  async listClients(@CallerScope() scope: ClientScope): Promise<ClientResponse[]> {
    return (await this.clients.list(scope)).map((c) => ClientResponse.from(c, this.clients.plantTimezone));
  }

  @Post()
  @MinRole('admin')
  @ApiErrors(400, 409)
  @ApiCreatedResponse({ type: ClientResponse })
  async createClient(@CallerScope() scope: ClientScope, @Body() dto: CreateClientDto): Promise<ClientResponse> {
    return ClientResponse.from(await this.clients.create(scope, dto), this.clients.plantTimezone);
  }

  @Get(':id')
  @ApiErrors(400, 404)
  @ApiOkResponse({ type: ClientResponse })
  async getClient(@CallerScope() scope: ClientScope, @Param('id', IdParam()) id: number): Promise<ClientResponse> {
    return ClientResponse.from(await this.clients.get(scope, id), this.clients.plantTimezone);
  }

  @Patch(':id')
  @MinRole('admin')
  @ApiErrors(400, 403, 404, 409)
  @ApiOkResponse({ type: ClientResponse })
  async updateClient(@CallerScope() scope: ClientScope, @Param('id', IdParam()) id: number, @Body() dto: UpdateClientDto): Promise<ClientResponse> {
    return ClientResponse.from(await this.clients.update(scope, id, dto), this.clients.plantTimezone);
  }

  @Delete(':id')
  @MinRole('admin')
  @HttpCode(204)
  @ApiErrors(400, 404, 409)
  @ApiNoContentResponse({ description: 'The client was deleted' })
  async deleteClient(@CallerScope() scope: ClientScope, @Param('id', IdParam()) id: number): Promise<void> {
    await this.clients.remove(scope, id);
  }
}
