import { ApiProperty } from '@nestjs/swagger';
import { IsIn, IsNumber, Max, Min } from 'class-validator';
import { BANDEIRA_FLAGS, type BandeiraFlag } from '../tariff-terms';

export class PutBandeiraDto {
  @ApiProperty({ description: "The month's bandeira tarifária as ANEEL announced it", enum: BANDEIRA_FLAGS, example: 'amarela' })
  @IsIn(BANDEIRA_FLAGS)
  flag!: BandeiraFlag;

  @ApiProperty({ description: 'What the bandeira adds, R$ per 100 kWh before taxes (verde: 0)', minimum: 0, example: 1.885 })
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(1000)
  adderPer100kWh!: number;
}
