import { ApiProperty } from '@nestjs/swagger';
import { Matches } from 'class-validator';
import { MONTH_PATTERN } from '../tariff-terms';

export class BandeiraQuery {
  @ApiProperty({ description: 'First month, YYYY-MM', example: '2026-01' })
  @Matches(MONTH_PATTERN, { message: 'from must be a month YYYY-MM' })
  from!: string;

  @ApiProperty({ description: 'Last month, YYYY-MM (at most 240 months after from)', example: '2026-12' })
  @Matches(MONTH_PATTERN, { message: 'to must be a month YYYY-MM' })
  to!: string;
}
