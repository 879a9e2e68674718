import { doublingDelayMs } from '@pieng/connectors';
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { ClientsService } from '../../clients/clients.service';
import { ALL_CLIENTS } from '../../common/client-scope';
import { settledWithin } from '../../common/settled-within';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { Database } from '../../database/database.service';
import { AlarmsLease } from '../../leases/alarms-lease';
import { ChannelDelivery } from '../../notifications/channel-delivery';
import type { EmailConfig } from '../../notifications/entities/notification-channel.row';
import { NotificationChannelsService } from '../../notifications/notification-channels.service';
import type { ReportLanguage } from '../dto/monthly-report.query';
import { renderMonthlyReport, reportFileName } from '../monthly-report.pdf';
import { MonthlyReportService } from '../monthly-report.service';
import { SCHEDULE_COLUMNS, scheduleState, type ScheduleRow } from './report-schedule-state';

/** Retry delays of a failed send: a minute, doubling, at most an hour, until the month's report is sent. */
const RETRY_MIN_MS = 60_000;
const RETRY_MAX_MS = 3_600_000;
const SHUTDOWN_WAIT_MS = 5_000;

const MAIL = {
  en: {
    subject: (client: string, month: string) => `Monthly energy report ${month}: ${client}`,
    text: (client: string, month: string) => `Attached is the monthly energy report of ${client} for ${month}.\n\nPieng Medidor`,
  },
  'pt-BR': {
    subject: (client: string, month: string) => `Relatório mensal de energia ${month}: ${client}`,
    text: (client: string, month: string) => `Segue anexo o relatório mensal de energia de ${client} referente a ${month}.\n\nPieng Medidor`,
  },
} as const;

/** "November 2026", "novembro de 2026". */
const monthName = (month: string, lang: ReportLanguage) => {
  const [y, m] = month.split('-').map(Number);
  return new Intl.DateTimeFormat(lang, { month: 'long', year: 'numeric', timeZone: 'UTC' }).format(Date.UTC(y, m - 1, 15));
};

/**
 * Sends the scheduled monthly reports, on the instance holding the `alarms` lease (the one that
 * sends notifications). Every REPORT_SCHEDULE_CHECK_MS it calls tick(now): a schedule whose client's
 * local date is on or after its day, and whose previous month's report is not sent yet, gets that
 * report rendered and e-mailed, one message to the channel's addresses. A failure is kept on the
 * row (error, attempts) and retried after a capped back-off until the report goes out.
 */
@Injectable()
export class ReportScheduleSender implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('ReportSchedules');
  private timer: NodeJS.Timeout | undefined;
  /** The tick running now: ticks never overlap, so one instance never sends a schedule's month twice at once. */
  private running: Promise<number> = Promise.resolve(0);

  constructor(
    private readonly db: Database,
    private readonly clients: ClientsService,
    private readonly reports: MonthlyReportService,
    private readonly channels: NotificationChannelsService,
    private readonly delivery: ChannelDelivery,
    private readonly lease: AlarmsLease,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    const every = this.config.notifications.reportScheduleCheckMs;
    if (every > 0)
      this.timer = setInterval(() => void this.tick(Date.now()).catch((err) => this.logger.warn(`Report schedules: ${(err as Error).message}`)), every);
  }

  /** Stopped before the lease is handed back (AlarmsLease, just before shutdown). */
  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    await settledWithin(this.running, SHUTDOWN_WAIT_MS);
  }

  /** Sends the reports due at `now`; answers how many went out. Only on the holder of the `alarms` lease. */
  tick(now: number): Promise<number> {
    const run = this.running.catch(() => 0).then(() => this.sendDue(now));
    this.running = run.catch(() => 0);
    return run;
  }

  private async sendDue(now: number): Promise<number> {
    if (!(await this.lease.holdNow())) return 0;
    const rows = await this.db.query<ScheduleRow>(
      `SELECT ${SCHEDULE_COLUMNS} FROM report_schedules WHERE next_attempt_at IS NULL OR next_attempt_at <= ? ORDER BY id`,
      [now],
    );
    let sent = 0;
    for (const row of rows) {
      if (!this.lease.held) break;
      const { timezone } = await this.clients.dataSettings(Number(row.client_id));
      const { dueMonth } = scheduleState(row, now, timezone);
      if (dueMonth && (await this.sendOne(row, dueMonth, now))) sent++;
    }
    return sent;
  }

  private async sendOne(row: ScheduleRow, month: string, now: number): Promise<boolean> {
    const id = Number(row.id);
    const lang = row.lang as ReportLanguage;
    try {
      const [channel] = await this.channels.byIds([Number(row.channel_id)]);
      if (!channel || channel.type !== 'email') throw new Error(`channel ${row.channel_id} is no longer an e-mail channel`);
      if (!channel.enabled) throw new Error(`channel ${channel.id} is disabled`);
      const data = await this.reports.gather(ALL_CLIENTS, { clientId: Number(row.client_id), month, lang }, now);
      const pdf = await renderMonthlyReport(data, now);
      const name = monthName(month, lang);
      await this.delivery.sendEmail((channel.config as EmailConfig).to, MAIL[lang].subject(data.client.name, name), MAIL[lang].text(data.client.name, name), [
        { filename: reportFileName(data.client.id, month, lang), content: pdf, contentType: 'application/pdf' },
      ]);
    } catch (err) {
      const attempts = Number(row.attempts) + 1;
      const error = (err as Error).message.slice(0, 1000);
      await this.db.transaction((m) =>
        this.db.execute(
          'UPDATE report_schedules SET attempts = ?, last_error = ?, next_attempt_at = ? WHERE id = ?',
          [attempts, error, now + doublingDelayMs(attempts, RETRY_MIN_MS, RETRY_MAX_MS), id],
          m,
        ),
      );
      if (attempts <= 3) this.logger.warn(`Report schedule ${id} (${month}) attempt ${attempts} failed: ${error}`);
      return false;
    }
    // Marked sent right after the SMTP server took the message: a crash between the two sends that
    // month's report once more on the next tick (at most once: the first tick after restart marks it).
    await this.db.transaction((m) =>
      this.db.execute(
        'UPDATE report_schedules SET last_sent_month = ?, last_sent_at = ?, attempts = 0, last_error = NULL, next_attempt_at = NULL WHERE id = ?',
        [month, now, id],
        m,
      ),
    );
    return true;
  }
}
