import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBody, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal } from '../../auth/current-principal.decorator';
import type { Principal } from '../../auth/principal';
import { ApiErrors } from '../../common/api-errors.decorator';
import { CallerScope } from '../../common/caller-scope.decorator';
import type { ClientScope } from '../../common/client-scope';
import { IdParam } from '../../common/id-param';
import { CreateReportScheduleDto } from './dto/create-report-schedule.dto';
import { ReportScheduleQuery } from './dto/report-schedule.query';
import { ReportScheduleResponse } from './dto/report-schedule.response';
import { ReportSchedulesService } from './report-schedules.service';

const actorOf = (p: Principal) => (p.kind === 'user' ? p.email : `API key ${p.keyId}`);

@ApiTags('reports')
@Controller('reports/schedules')
export class ReportSchedulesController {
  constructor(private readonly schedules: ReportSchedulesService) {}

  @Get()
  @ApiOperation({ summary: 'Monthly report schedules the caller may see, each with its last sent month, next run, attempts and last error' })
  @ApiErrors(400)
  @ApiOkResponse({ type: [ReportScheduleResponse] })
  listReportSchedules(@CallerScope() scope: ClientScope, @Query() query: ReportScheduleQuery): Promise<ReportScheduleResponse[]> {
    return this.schedules.list(scope, query.clientId);
  }

  @Post()
  @ApiOperation({ summary: "E-mails the previous month's report through an e-mail channel on a day of each month (client's time zone)" })
  @ApiErrors(400, 403, 404)
  @ApiCreatedResponse({ type: ReportScheduleResponse })
  @ApiBody({
    type: CreateReportScheduleDto,
    examples: {
      third: { summary: "On the 3rd, in Portuguese, to the client's e-mail channel", value: { clientId: 1, channelId: 3, lang: 'pt-BR', dayOfMonth: 3 } },
      first: { summary: 'On the 1st, in English', value: { clientId: 1, channelId: 3, lang: 'en', dayOfMonth: 1 } },
    },
  })
  createReportSchedule(
    @CallerScope() scope: ClientScope,
    @CurrentPrincipal() principal: Principal,
    @Body() dto: CreateReportScheduleDto,
  ): Promise<ReportScheduleResponse> {
    return this.schedules.create(scope, actorOf(principal), dto);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Deletes a report schedule (reports already sent stay sent)' })
  @ApiErrors(400, 404)
  @ApiNoContentResponse({ description: 'The schedule was deleted' })
  async deleteReportSchedule(@CallerScope() scope: ClientScope, @Param('id', IdParam()) id: number): Promise<void> {
    await this.schedules.remove(scope, id);
  }
}
