import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
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
  async listSites(@CallerScope() scope: ClientScope, @Query() query: SiteQuery): Promise<SiteResponse[]> {
    return (await this.sites.list(scope, query.clientId)).map(SiteResponse.from);
  }

  @Post()
  @MinRole('admin')
  @ApiErrors(400, 404)
  @ApiCreatedResponse({ type: SiteResponse })
  async createSite(@CallerScope() scope: ClientScope, @Body() dto: CreateSiteDto): Promise<SiteResponse> {
    return SiteResponse.from(await this.sites.create(scope, dto));
  }

  @Get(':id')
  @ApiErrors(400, 404)
  @ApiOkResponse({ type: SiteResponse })
  async getSite(@CallerScope() scope: ClientScope, @Param('id', IdParam()) id: number): Promise<SiteResponse> {
    return SiteResponse.from(await this.sites.get(scope, id));
  }

  @Patch(':id')
  @MinRole('admin')
  @ApiErrors(400, 404)
  @ApiOkResponse({ type: SiteResponse })
  async updateSite(@CallerScope() scope: ClientScope, @Param('id', IdParam()) id: number, @Body() dto: UpdateSiteDto): Promise<SiteResponse> {
    return SiteResponse.from(await this.sites.update(scope, id, dto));
  }

  @Delete(':id')
  @MinRole('admin')
  @HttpCode(204)
  @ApiErrors(400, 404, 409)
  @ApiNoContentResponse({ description: 'The site was deleted, with its tariffs' })
  async deleteSite(@CallerScope() scope: ClientScope, @Param('id', IdParam()) id: number): Promise<void> {
    await this.sites.remove(scope, id);
  }
}
