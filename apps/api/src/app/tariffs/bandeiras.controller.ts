import { Body, Controller, Delete, Get, HttpCode, Param, Put, Query } from '@nestjs/common';
import { ApiNoContentResponse, ApiOkResponse, ApiParam, ApiTags } from '@nestjs/swagger';
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
  listBandeiras(@Query() query: BandeiraQuery): Promise<BandeiraResponse[]> {
    return this.bandeiras.list(query.from, query.to);
  }

  @Put(':month')
  @StaffOnly()
  @MinRole('admin')
  @ApiParam(MONTH_PARAM)
  @ApiErrors(400)
  @ApiOkResponse({ type: BandeiraResponse })
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
  async deleteBandeira(@Param('month') month: string): Promise<void> {
    await this.bandeiras.remove(month);
  }
}
