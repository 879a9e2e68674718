import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBody, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiTags, ApiOperation } from '@nestjs/swagger';
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
  @ApiOperation({ summary: 'List tariff versions (per client or per site)' })
  async listTariffs(@CallerScope() scope: ClientScope, @Query() query: TariffQuery): Promise<TariffResponse[]> {
    return (await this.tariffs.list(scope, query)).map(TariffResponse.from);
  }

  @Post()
  @MinRole('admin')
  @ApiErrors(400, 404, 409)
  @ApiCreatedResponse({ type: TariffResponse })
  @ApiOperation({ summary: 'Create a tariff version (convencional, branca, verde or azul) valid from a local date' })
  @ApiBody({
    type: CreateTariffDto,
    examples: {
      branca: {
        summary: 'Tarifa branca (group B)',
        value: {
          clientId: 1,
          name: 'Branca 2026',
          modality: 'branca',
          currency: 'BRL',
          validFrom: '2026-01-01',
          energy: { foraPonta: 0.5, intermediario: 0.8, ponta: 1.2 },
          windows: [
            { posto: 'intermediario', days: 'weekdays', start: '16:00', end: '17:00' },
            { posto: 'ponta', days: 'weekdays', start: '17:00', end: '20:00' },
            { posto: 'intermediario', days: 'weekdays', start: '20:00', end: '21:00' },
          ],
          holidays: 'BR',
          taxes: { icms: 0.18, pis: 0.0165, cofins: 0.076 },
        },
      },
      verde: {
        summary: 'Group A verde for one site',
        value: {
          siteId: 1,
          name: 'A4 verde',
          modality: 'verde',
          currency: 'BRL',
          validFrom: '2026-07-01',
          energy: { foraPonta: 0.38, ponta: 2.1 },
          demand: { foraPonta: 25.3 },
          windows: [{ posto: 'ponta', days: 'weekdays', start: '17:30', end: '20:30' }],
          holidays: 'BR',
          taxes: { icms: 0.18, pis: 0.0165, cofins: 0.076 },
        },
      },
    },
  })
  async createTariff(@CallerScope() scope: ClientScope, @Body() dto: CreateTariffDto): Promise<TariffResponse> {
    return TariffResponse.from(await this.tariffs.create(scope, dto));
  }

  @Get(':id')
  @ApiErrors(400, 404)
  @ApiOkResponse({ type: TariffResponse })
  @ApiOperation({ summary: 'One tariff version' })
  async getTariff(@CallerScope() scope: ClientScope, @Param('id', IdParam()) id: number): Promise<TariffResponse> {
    return TariffResponse.from(await this.tariffs.get(scope, id));
  }

  @Patch(':id')
  @MinRole('admin')
  @ApiErrors(400, 404, 409)
  @ApiOkResponse({ type: TariffResponse })
  @ApiOperation({ summary: 'Change a tariff version' })
  @ApiBody({
    type: UpdateTariffDto,
    examples: { rates: { summary: 'New rates in the same version', value: { energy: { foraPonta: 0.52, intermediario: 0.83, ponta: 1.25 } } } },
  })
  async updateTariff(@CallerScope() scope: ClientScope, @Param('id', IdParam()) id: number, @Body() dto: UpdateTariffDto): Promise<TariffResponse> {
    return TariffResponse.from(await this.tariffs.update(scope, id, dto));
  }

  @Delete(':id')
  @MinRole('admin')
  @HttpCode(204)
  @ApiErrors(400, 404)
  @ApiNoContentResponse({ description: 'The tariff version was deleted; the one before it applies again' })
  @ApiOperation({ summary: 'Delete a tariff version' })
  async deleteTariff(@CallerScope() scope: ClientScope, @Param('id', IdParam()) id: number): Promise<void> {
    await this.tariffs.remove(scope, id);
  }
}
