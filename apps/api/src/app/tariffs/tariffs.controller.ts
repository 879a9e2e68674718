import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { MinRole } from '../auth/roles';
import { ApiErrors } from '../common/api-errors.decorator';
import { CallerScope } from '../common/caller-scope.decorator';
import type { ClientScope } from '../common/client-scope';
import { IdParam } from '../common/id-param';
import { CreateTariffDto } from './dto/create-tariff.dto';
import { TariffQuery } from './dto/tariff.query';
import { TariffResponse } from './dto/tariff.response';
import { UpdateTariffDto } from './dto/update-tariff.dto';
import { TariffsService } from './tariffs.service';

@ApiTags('tariffs')
@Controller('tariffs')
export class TariffsController {
  constructor(private readonly tariffs: TariffsService) {}

  @Get()
  @ApiErrors(400)
  @ApiOkResponse({ type: [TariffResponse] })
  async listTariffs(@CallerScope() scope: ClientScope, @Query() query: TariffQuery): Promise<TariffResponse[]> {
    return (await this.tariffs.list(scope, query)).map(TariffResponse.from);
  }

  @Post()
  @MinRole('admin')
  @ApiErrors(400, 404, 409)
  @ApiCreatedResponse({ type: TariffResponse })
  async createTariff(@CallerScope() scope: ClientScope, @Body() dto: CreateTariffDto): Promise<TariffResponse> {
    return TariffResponse.from(await this.tariffs.create(scope, dto));
  }

  @Get(':id')
  @ApiErrors(400, 404)
  @ApiOkResponse({ type: TariffResponse })
  async getTariff(@CallerScope() scope: ClientScope, @Param('id', IdParam()) id: number): Promise<TariffResponse> {
    return TariffResponse.from(await this.tariffs.get(scope, id));
  }

  @Patch(':id')
  @MinRole('admin')
  @ApiErrors(400, 404, 409)
  @ApiOkResponse({ type: TariffResponse })
  async updateTariff(@CallerScope() scope: ClientScope, @Param('id', IdParam()) id: number, @Body() dto: UpdateTariffDto): Promise<TariffResponse> {
    return TariffResponse.from(await this.tariffs.update(scope, id, dto));
  }

  @Delete(':id')
  @MinRole('admin')
  @HttpCode(204)
  @ApiErrors(400, 404)
  @ApiNoContentResponse({ description: 'The tariff version was deleted; the one before it applies again' })
  async deleteTariff(@CallerScope() scope: ClientScope, @Param('id', IdParam()) id: number): Promise<void> {
    await this.tariffs.remove(scope, id);
  }
}
