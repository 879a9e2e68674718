import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength } from 'class-validator';

export class AcknowledgeAlarmEventDto {
  @ApiPropertyOptional({ description: 'What the operator saw or did', example: 'Tap changer checked, utility informed' })
  @IsOptional()
  @IsString()
  @MaxLength(1000)
  comment?: string;
}
