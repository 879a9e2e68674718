import { Body, Controller, Delete, Get, HttpCode, Param, Put, Query } from '@nestjs/common';
import { ApiBody, ApiNoContentResponse, ApiOkResponse, ApiParam, ApiTags, ApiOperation } from '@nestjs/swagger';
import { StaffOnly } from '../auth/current-principal.decorator';
import { MinRole } from '../auth/roles';
import { ApiErrors } from '../common/api-errors.decorator';
import { BandeirasService } from './bandeiras.service';
import { PutBandeiraDto } from './dto/bandeira.dto';
import { BandeiraQuery } from './dto/bandeira.query';
import { BandeiraResponse } from './dto/bandeira.response';

const MONTH_PARAM = { name: 'month', description: 'Month, YYYY-MM', example: '2026-11' };

@ApiTags('bandeiras')
@Controller('bandeiras')
export class BandeirasController {
  constructor(private readonly bandeiras: BandeirasService) {}

  @Get()
  @ApiErrors(400)
  @ApiOkResponse({ type: [BandeiraResponse] })
  @ApiOperation({ summary: 'List the monthly bandeiras tarifárias (green, yellow, red 1, red 2)' })
  listBandeiras(@Query() query: BandeiraQuery): Promise<BandeiraResponse[]> {
    return this.bandeiras.list(query.from, query.to);
  }

  @Put(':month')
  @StaffOnly()
  @MinRole('admin')
  @ApiParam(MONTH_PARAM)
  @ApiErrors(400)
  @ApiOkResponse({ type: BandeiraResponse })
  @ApiOperation({ summary: 'Set the bandeira of a month' })
  @ApiBody({ type: PutBandeiraDto, examples: { amarela: { summary: 'Bandeira amarela', value: { flag: 'amarela', adderPer100kWh: 1.885 } } } })
  putBandeira(@Param('month') month: string, @Body() dto: PutBandeiraDto): Promise<BandeiraResponse> {
    return this.bandeiras.put(month, dto);
  }

  @Delete(':month')
  @StaffOnly()
  @MinRole('admin')
  @HttpCode(204)
  @ApiParam(MONTH_PARAM)
  @ApiErrors(400, 404)
  @ApiNoContentResponse({ description: 'The month is verde again' })
  @ApiOperation({ summary: 'Remove the bandeira of a month' })
  async deleteBandeira(@Param('month') month: string): Promise<void> {
    await this.bandeiras.remove(month);
  }
}
