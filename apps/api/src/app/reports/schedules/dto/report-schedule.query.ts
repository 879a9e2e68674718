import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsOptional } from 'class-validator';
import { IsRowId } from '../../../common/id-param';

export class ReportScheduleQuery {
  @ApiPropertyOptional({ description: "Only this client's schedules", example: 1 })
  @IsOptional()
  @Type(() => Number)
  @IsRowId()
  clientId?: number;
}
