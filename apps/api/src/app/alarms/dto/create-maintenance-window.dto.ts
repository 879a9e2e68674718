import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsDateString, IsNotEmpty, IsString, MaxLength, ValidateIf } from 'class-validator';
import { IsRowId } from '../../common/id-param';

/** A device's or a site's maintenance: its alarm events are kept, their notifications muted. */
export class CreateMaintenanceWindowDto {
  @ApiPropertyOptional({ description: 'The device in maintenance (this or siteId)', example: 1 })
  @ValidateIf((o: CreateMaintenanceWindowDto) => o.siteId === undefined || o.deviceId !== undefined)
  @IsRowId()
  deviceId?: number;

  @ApiPropertyOptional({ description: 'The site in maintenance: every device of it (this or deviceId)', example: 1 })
  @ValidateIf((o: CreateMaintenanceWindowDto) => o.siteId !== undefined)
  @IsRowId()
  siteId?: number;

  @ApiProperty({ description: 'Start (ISO-8601)', example: '2026-12-01T08:00:00Z' })
  @IsDateString({ strict: true })
  from!: string;

  @ApiProperty({ description: 'End (ISO-8601), after from', example: '2026-12-01T12:00:00Z' })
  @IsDateString({ strict: true })
  to!: string;

  @ApiProperty({ description: 'Why', example: 'Transformer inspection' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(1000)
  reason!: string;
}
