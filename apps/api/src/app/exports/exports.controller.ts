import { Controller, Get, Query, Res, StreamableFile } from '@nestjs/common';
import type { Response } from 'express';
import { ApiOperation, ApiProduces, ApiResponse, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../common/api-errors.decorator';
import { CallerScope } from '../common/caller-scope.decorator';
import type { ClientScope } from '../common/client-scope';
import { EnergyExportQuery, ReadingsExportQuery } from './dto/export.queries';
import { ExportFile, ExportsService } from './exports.service';

/**
 * A download: the client saves it under the file name; the body streams as it is produced. A client
 * that goes away mid-file ends the export too (piping alone would leave it paused, its pages held).
 */
function download(file: ExportFile, res: Response): StreamableFile {
  res.on('close', () => {
    if (!file.stream.readableEnded) file.stream.destroy();
  });
  return new StreamableFile(file.stream, { type: file.contentType, disposition: `attachment; filename="${file.fileName}"` });
}

const FILE_RESPONSE = {
  status: 200,
  description: 'The file (CSV or XLSX), streamed; Content-Disposition names it',
  schema: { type: 'string', format: 'binary' },
} as const;

@ApiTags('exports')
@Controller('exports')
export class ExportsController {
  constructor(private readonly exports: ExportsService) {}

  @Get('readings')
  @ApiOperation({
    summary: "A device's readings as CSV or Excel: one row per instant, one column per metric with its unit, times in the client's time zone",
    description:
      'Streamed from the database page by page as the client downloads it, so any size takes the same memory. At 1m, 15m or 1h the rows are the rollup buckets (start, mean per metric, min/max on request, the sources seen).',
  })
  @ApiProduces('text/csv', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet')
  @ApiResponse(FILE_RESPONSE)
  @ApiErrors(400, 404, 422, 503)
  async exportReadings(@CallerScope() scope: ClientScope, @Query() q: ReadingsExportQuery, @Res({ passthrough: true }) res: Response): Promise<StreamableFile> {
    return download(await this.exports.readings(scope, q), res);
  }

  @Get('energy')
  @ApiOperation({ summary: 'The energy accounting table (kWh, cost, kWh and cost per posto, quality flags) of GET /api/energy as CSV or Excel' })
  @ApiProduces('text/csv', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet')
  @ApiResponse(FILE_RESPONSE)
  @ApiErrors(400, 404, 422, 503)
  async exportEnergy(@CallerScope() scope: ClientScope, @Query() q: EnergyExportQuery, @Res({ passthrough: true }) res: Response): Promise<StreamableFile> {
    return download(await this.exports.energyTable(scope, q), res);
  }
}
