import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post } from '@nestjs/common';
import { ApiBody, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiTags, ApiOperation } from '@nestjs/swagger';
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
  @ApiOperation({ summary: 'List the clients (tenants) you may see' })
  async listClients(@CallerScope() scope: ClientScope): Promise<ClientResponse[]> {
    return (await this.clients.list(scope)).map((c) => ClientResponse.from(c, this.clients.plantTimezone));
  }

  @Post()
  @MinRole('admin')
  @ApiErrors(400, 409)
  @ApiCreatedResponse({ type: ClientResponse })
  @ApiOperation({ summary: 'Create a client (tenant) with its time zone; its first site is created with it' })
  @ApiBody({
    type: CreateClientDto,
    examples: { farm: { summary: 'A farm in São Paulo', value: { name: 'Fazenda Boa Vista', externalId: 'CRM-0042', timezone: 'America/Sao_Paulo' } } },
  })
  async createClient(@CallerScope() scope: ClientScope, @Body() dto: CreateClientDto): Promise<ClientResponse> {
    return ClientResponse.from(await this.clients.create(scope, dto), this.clients.plantTimezone);
  }

  @Get(':id')
  @ApiErrors(400, 404)
  @ApiOkResponse({ type: ClientResponse })
  @ApiOperation({ summary: 'One client' })
  async getClient(@CallerScope() scope: ClientScope, @Param('id', IdParam()) id: number): Promise<ClientResponse> {
    return ClientResponse.from(await this.clients.get(scope, id), this.clients.plantTimezone);
  }

  @Patch(':id')
  @MinRole('admin')
  @ApiErrors(400, 403, 404, 409)
  @ApiOkResponse({ type: ClientResponse })
  @ApiOperation({ summary: "Change a client's name, external id, time zone, MQTT topic prefix or retention" })
  @ApiBody({
    type: UpdateClientDto,
    examples: {
      rename: { summary: 'Rename and move to another time zone', value: { name: 'Fazenda Boa Vista II', timezone: 'America/Manaus' } },
      retention: { summary: 'Keep raw readings a year (platform staff)', value: { retention: { rawDays: 365, oneMinuteDays: 730 } } },
    },
  })
  async updateClient(@CallerScope() scope: ClientScope, @Param('id', IdParam()) id: number, @Body() dto: UpdateClientDto): Promise<ClientResponse> {
    return ClientResponse.from(await this.clients.update(scope, id, dto), this.clients.plantTimezone);
  }

  @Delete(':id')
  @MinRole('admin')
  @HttpCode(204)
  @ApiErrors(400, 404, 409)
  @ApiNoContentResponse({ description: 'The client was deleted' })
  @ApiOperation({ summary: 'Delete a client with its sites, tariffs, rules and revoked keys; refused (409) while it has devices, users or keys in use' })
  async deleteClient(@CallerScope() scope: ClientScope, @Param('id', IdParam()) id: number): Promise<void> {
    await this.clients.remove(scope, id);
  }
}
