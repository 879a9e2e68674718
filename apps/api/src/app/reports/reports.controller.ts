import { Controller, Get, Query, StreamableFile } from '@nestjs/common';
import { ApiOperation, ApiProduces, ApiResponse, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../common/api-errors.decorator';
import { CallerScope } from '../common/caller-scope.decorator';
import type { ClientScope } from '../common/client-scope';
import { MonthlyReportQuery } from './dto/monthly-report.query';
import { renderMonthlyReport, reportFileName } from './monthly-report.pdf';
import { MonthlyReportService } from './monthly-report.service';

@ApiTags('reports')
@Controller('reports')
export class ReportsController {
  constructor(private readonly reports: MonthlyReportService) {}

  @Get('monthly')
  @ApiOperation({
    summary: "A client's monthly energy report as a PDF",
    description:
      "Energy per posto and per day, typical load curve, peak demand against the contract, cost, devices, alarms, data quality. Every figure is the one GET /api/energy and GET /api/energy/demand give for the same period. The period is the calendar month in the client's time zone, or the billing cycle ending on the site's reading day.",
  })
  @ApiProduces('application/pdf')
  @ApiResponse({ status: 200, description: 'The report (application/pdf)', schema: { type: 'string', format: 'binary' } })
  @ApiErrors(400, 404, 422, 503)
  async getMonthlyReport(@CallerScope() scope: ClientScope, @Query() q: MonthlyReportQuery): Promise<StreamableFile> {
    const data = await this.reports.gather(scope, q);
    const pdf = await renderMonthlyReport(data);
    return new StreamableFile(pdf, {
      type: 'application/pdf',
      disposition: `attachment; filename="${reportFileName(data.client.id, q.month, data.lang)}"`,
      length: pdf.length,
    });
  }
}
