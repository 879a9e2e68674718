import { ApiProperty } from '@nestjs/swagger';
import { IsIn, IsInt, Max, Min } from 'class-validator';
import { IsRowId } from '../../../common/id-param';
import { REPORT_LANGUAGES, type ReportLanguage } from '../../dto/monthly-report.query';

export class CreateReportScheduleDto {
  @ApiProperty({ description: 'The client whose monthly report is sent', example: 1 })
  @IsRowId()
  clientId!: number;

  @ApiProperty({ description: 'An e-mail notification channel of that client: its addresses receive the report', example: 3 })
  @IsRowId()
  channelId!: number;

  @ApiProperty({ description: 'Language of the report and of the e-mail', enum: REPORT_LANGUAGES, example: 'pt-BR' })
  @IsIn(REPORT_LANGUAGES, { message: `lang must be one of ${REPORT_LANGUAGES.join(', ')}` })
  lang!: ReportLanguage;

  @ApiProperty({
    description: "Day of the month (1-28, in the client's time zone) on which the previous month's report is sent",
    minimum: 1,
    maximum: 28,
    example: 3,
  })
  @IsInt({ message: 'dayOfMonth must be a whole day of the month, 1 to 28' })
  @Min(1, { message: 'dayOfMonth must be a whole day of the month, 1 to 28' })
  @Max(28, { message: 'dayOfMonth must be a whole day of the month, 1 to 28 (every month has them)' })
  dayOfMonth!: number;
}
