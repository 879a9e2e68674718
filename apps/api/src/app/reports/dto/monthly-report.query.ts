import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsOptional, Matches } from 'class-validator';
import { LANGUAGES, type Language } from '@pieng/shared';
import { IsRowId } from '../../common/id-param';

/** A report is written in the console's languages. */
export const REPORT_LANGUAGES = LANGUAGES;
export type ReportLanguage = Language;

export class MonthlyReportQuery {
  @ApiProperty({ description: 'The client the report is about', example: 1 })
  @Type(() => Number)
  @IsRowId()
  clientId!: number;

  @ApiProperty({
    description: "The month (YYYY-MM), in the client's time zone; the billing cycle ending in it when the site has a reading day. Not a month to come",
    example: '2026-11',
  })
  @Matches(/^(20\d\d|2100)-(0[1-9]|1[0-2])$/, { message: 'month must be a month such as 2026-11' })
  month!: string;

  @ApiPropertyOptional({ description: 'Language of the report', enum: REPORT_LANGUAGES, default: 'en', example: 'pt-BR' })
  @IsOptional()
  @IsIn(REPORT_LANGUAGES, { message: `lang must be one of ${REPORT_LANGUAGES.join(', ')}` })
  lang?: ReportLanguage;
}
