import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsNumber, IsOptional, Max, Min } from 'class-validator';

/** A site's contracted demand (group A), kW per posto; verde contracts fora de ponta only. */
export class ContractedDemandDto {
  @ApiPropertyOptional({
    description: 'Contracted demand fora de ponta, kW (verde: the one contracted demand); null: none',
    nullable: true,
    type: Number,
    minimum: 0,
    example: 300,
  })
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(1e7)
  foraPonta?: number | null;

  @ApiPropertyOptional({ description: 'Contracted demand in ponta, kW (azul); null: none', nullable: true, type: Number, minimum: 0, example: 120 })
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(1e7)
  ponta?: number | null;
}
