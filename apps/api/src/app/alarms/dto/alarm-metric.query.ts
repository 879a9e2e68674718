import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsOptional } from 'class-validator';
import { IsRowId } from '../../common/id-param';

export class AlarmMetricQuery {
  @ApiPropertyOptional({ description: 'The metrics this device reports', example: 1 })
  @IsOptional()
  @Type(() => Number)
  @IsRowId()
  deviceId?: number;

  @ApiPropertyOptional({ description: "The metrics the client's devices report", example: 1 })
  @IsOptional()
  @Type(() => Number)
  @IsRowId()
  clientId?: number;
}
