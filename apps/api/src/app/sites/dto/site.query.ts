import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsOptional } from 'class-validator';
import { IsRowId } from '../../common/id-param';

export class SiteQuery {
  @ApiPropertyOptional({ description: 'Only the sites of this client', example: 1 })
  @IsOptional()
  @Type(() => Number)
  @IsRowId()
  clientId?: number;
}
