import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsOptional } from 'class-validator';
import { IsRowId } from '../../common/id-param';

export class MaintenanceWindowQuery {
  @ApiPropertyOptional({ description: "Only this client's windows", example: 1 })
  @IsOptional()
  @Type(() => Number)
  @IsRowId()
  clientId?: number;

  @ApiPropertyOptional({ description: 'Only windows of this device (its own and its site’s)', example: 1 })
  @IsOptional()
  @Type(() => Number)
  @IsRowId()
  deviceId?: number;
}
