import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsOptional } from 'class-validator';
import { IsRowId } from '../../common/id-param';

export class AlarmRuleQuery {
  @ApiPropertyOptional({ description: "Only this client's rules" })
  @IsOptional()
  @Type(() => Number)
  @IsRowId()
  clientId?: number;

  @ApiPropertyOptional({ description: 'Only rules that apply to this device (its own and its client-wide rules)' })
  @IsOptional()
  @Type(() => Number)
  @IsRowId()
  deviceId?: number;
}
