import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBody, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiTags, ApiOperation } from '@nestjs/swagger';
import { MinRole } from '../auth/roles';
import { ApiErrors } from '../common/api-errors.decorator';
import { CallerScope } from '../common/caller-scope.decorator';
import type { ClientScope } from '../common/client-scope';
import { IdParam } from '../common/id-param';
import { CreateSiteDto } from './dto/create-site.dto';
import { SiteQuery } from './dto/site.query';
import { SiteResponse } from './dto/site.response';
import { UpdateSiteDto } from './dto/update-site.dto';
import { SitesService } from './sites.service';

@ApiTags('sites')
@Controller('sites')
export class SitesController {
  constructor(private readonly sites: SitesService) {}

  @Get()
  @ApiErrors(400)
  @ApiOkResponse({ type: [SiteResponse] })
  @ApiOperation({ summary: 'List the sites (plants or buildings) of the clients you may see' })
  async listSites(@CallerScope() scope: ClientScope, @Query() query: SiteQuery): Promise<SiteResponse[]> {
    return (await this.sites.list(scope, query.clientId)).map(SiteResponse.from);
  }

  @Post()
  @MinRole('admin')
  @ApiErrors(400, 404)
  @ApiCreatedResponse({ type: SiteResponse })
  @ApiOperation({ summary: 'Create a site with its time zone, contracted demand, reading day and main meter' })
  @ApiBody({
    type: CreateSiteDto,
    examples: {
      groupA: {
        summary: 'A group A factory read on the 12th',
        value: { clientId: 1, name: 'Fábrica Jundiaí', timezone: 'America/Sao_Paulo', contractedKW: { foraPonta: 300 }, readingDay: 12 },
      },
    },
  })
  async createSite(@CallerScope() scope: ClientScope, @Body() dto: CreateSiteDto): Promise<SiteResponse> {
    return SiteResponse.from(await this.sites.create(scope, dto));
  }

  @Get(':id')
  @ApiErrors(400, 404)
  @ApiOkResponse({ type: SiteResponse })
  @ApiOperation({ summary: 'One site' })
  async getSite(@CallerScope() scope: ClientScope, @Param('id', IdParam()) id: number): Promise<SiteResponse> {
    return SiteResponse.from(await this.sites.get(scope, id));
  }

  @Patch(':id')
  @MinRole('admin')
  @ApiErrors(400, 404)
  @ApiOkResponse({ type: SiteResponse })
  @ApiOperation({ summary: "Change a site's settings" })
  @ApiBody({
    type: UpdateSiteDto,
    examples: { contract: { summary: 'Azul contract and main meter', value: { contractedKW: { foraPonta: 300, ponta: 120 }, mainDeviceId: 7 } } },
  })
  async updateSite(@CallerScope() scope: ClientScope, @Param('id', IdParam()) id: number, @Body() dto: UpdateSiteDto): Promise<SiteResponse> {
    return SiteResponse.from(await this.sites.update(scope, id, dto));
  }

  @Delete(':id')
  @MinRole('admin')
  @HttpCode(204)
  @ApiErrors(400, 404, 409)
  @ApiNoContentResponse({ description: 'The site was deleted, with its tariffs' })
  @ApiOperation({ summary: 'Delete a site that holds no devices' })
  async deleteSite(@CallerScope() scope: ClientScope, @Param('id', IdParam()) id: number): Promise<void> {
    await this.sites.remove(scope, id);
  }
}
