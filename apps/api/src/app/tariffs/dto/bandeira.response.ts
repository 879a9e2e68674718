import { ApiProperty } from '@nestjs/swagger';
import { BANDEIRA_FLAGS, type BandeiraFlag } from '../tariff-terms';

export class BandeiraResponse {
  @ApiProperty({ description: 'Month, YYYY-MM', example: '2026-11' })
  month!: string;
  @ApiProperty({ description: 'The bandeira of the month (verde where none was set)', enum: BANDEIRA_FLAGS, example: 'amarela' })
  flag!: BandeiraFlag;
  @ApiProperty({ description: 'R$ per 100 kWh before taxes', example: 1.885 })
  adderPer100kWh!: number;
  @ApiProperty({ description: 'False when nothing was set for the month and it counts as verde', example: true })
  set!: boolean;
}
