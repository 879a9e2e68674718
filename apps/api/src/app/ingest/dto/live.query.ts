import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsOptional } from 'class-validator';
import { IsRowId } from '../../common/id-param';

export class LiveQuery {
  @ApiPropertyOptional({ description: 'Only readings of this device' })
  @IsOptional()
  @Type(() => Number)
  @IsRowId()
  deviceId?: number;

  @ApiPropertyOptional({ description: "Only readings of this client's devices" })
  @IsOptional()
  @Type(() => Number)
  @IsRowId()
  clientId?: number;
}
