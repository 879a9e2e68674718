import { ApiProperty } from '@nestjs/swagger';
import { REPORT_LANGUAGES, type ReportLanguage } from '../../dto/monthly-report.query';

export class ReportScheduleResponse {
  @ApiProperty({ description: 'The schedule', example: 1 })
  id!: number;

  @ApiProperty({ description: 'The client whose report is sent', example: 1 })
  clientId!: number;

  @ApiProperty({ description: 'The e-mail channel the report goes through', example: 3 })
  channelId!: number;

  @ApiProperty({ description: 'Language of the report and the e-mail', enum: REPORT_LANGUAGES, example: 'pt-BR' })
  lang!: ReportLanguage;

  @ApiProperty({ description: "Day of the month (client's time zone) the previous month's report is sent", example: 3 })
  dayOfMonth!: number;

  @ApiProperty({ description: 'Who made the schedule (e-mail, or the API key)', example: 'ops@client.example', nullable: true, type: String })
  createdBy!: string | null;

  @ApiProperty({ description: 'When the schedule was made', example: '2026-11-30T12:00:00.000Z' })
  createdAt!: string;

  @ApiProperty({ description: 'The last month (YYYY-MM) whose report was sent; null before the first', example: '2026-10', nullable: true, type: String })
  lastSentMonth!: string | null;

  @ApiProperty({ description: 'When that report was sent', example: '2026-11-03T03:00:12.000Z', nullable: true, type: String })
  lastSentAt!: string | null;

  @ApiProperty({
    description: 'When the next report (or the retry of a failed one) is due; a time already past: it goes out at the next check (every minute)',
    example: '2026-12-03T03:00:00.000Z',
  })
  nextRunAt!: string;

  @ApiProperty({ description: 'Failed attempts at sending the report now due (0 once it is sent)', example: 0 })
  attempts!: number;

  @ApiProperty({ description: 'Why the last attempt failed; null once the report is sent', example: null, nullable: true, type: String })
  lastError!: string | null;
}
