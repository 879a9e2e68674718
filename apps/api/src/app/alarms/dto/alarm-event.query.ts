import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { IsBoolean, IsInt, IsOptional, Max, Min } from 'class-validator';
import { IsRowId } from '../../common/id-param';

const toBool = ({ value }: { value: unknown }) => (value === 'true' ? true : value === 'false' ? false : value);

export class AlarmEventQuery {
  @ApiPropertyOptional({ description: 'Only events of this device' })
  @IsOptional()
  @Type(() => Number)
  @IsRowId()
  deviceId?: number;

  @ApiPropertyOptional({ description: "Only this client's events" })
  @IsOptional()
  @Type(() => Number)
  @IsRowId()
  clientId?: number;

  @ApiPropertyOptional({ description: 'true: only events whose condition still holds; false: only cleared ones' })
  @IsOptional()
  @Transform(toBool)
  @IsBoolean()
  active?: boolean;

  @ApiPropertyOptional({ description: 'true: only acknowledged; false: only unacknowledged' })
  @IsOptional()
  @Transform(toBool)
  @IsBoolean()
  acknowledged?: boolean;

  @ApiPropertyOptional({ description: 'true: only shelved events; false or absent: shelved events are hidden (see includeShelved)', example: false })
  @IsOptional()
  @Transform(toBool)
  @IsBoolean()
  shelved?: boolean;

  @ApiPropertyOptional({ description: 'true: shelved events are listed with the others', example: false })
  @IsOptional()
  @Transform(toBool)
  @IsBoolean()
  includeShelved?: boolean;

  @ApiPropertyOptional({ description: 'At most this many events, newest first', default: 100, maximum: 1000 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1000)
  limit?: number;
}
