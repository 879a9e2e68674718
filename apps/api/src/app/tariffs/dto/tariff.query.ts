import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsOptional } from 'class-validator';
import { IsRowId } from '../../common/id-param';

export class TariffQuery {
  @ApiPropertyOptional({ description: "Only the client's own tariffs (not its sites')", example: 1 })
  @IsOptional()
  @Type(() => Number)
  @IsRowId()
  clientId?: number;

  @ApiPropertyOptional({ description: "Only the site's own tariffs", example: 1 })
  @IsOptional()
  @Type(() => Number)
  @IsRowId()
  siteId?: number;
}
