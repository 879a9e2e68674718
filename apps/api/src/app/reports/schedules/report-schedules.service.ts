import { Injectable } from '@nestjs/common';
import { ClientsService } from '../../clients/clients.service';
import { ScopedWhere, type ClientScope } from '../../common/client-scope';
import { InvalidInputError, NotFoundError } from '../../common/domain-errors';
import { Database } from '../../database/database.service';
import type { ReportLanguage } from '../dto/monthly-report.query';
import { CreateReportScheduleDto } from './dto/create-report-schedule.dto';
import { ReportScheduleResponse } from './dto/report-schedule.response';
import { SCHEDULE_COLUMNS, scheduleState, type ScheduleRow } from './report-schedule-state';

const iso = (ms: number | string | null) => (ms === null ? null : new Date(Number(ms)).toISOString());

/** Monthly reports e-mailed on a day of the month: the schedules and their delivery state (ReportScheduleSender sends them). */
@Injectable()
export class ReportSchedulesService {
  constructor(
    private readonly db: Database,
    private readonly clients: ClientsService,
  ) {}

  async create(scope: ClientScope, actor: string | null, dto: CreateReportScheduleDto): Promise<ReportScheduleResponse> {
    const client = await this.clients.get(scope, dto.clientId);
    const [channel] = await this.db.query<{ client_id: number | string | null; type: string }>(
      'SELECT client_id, type FROM notification_channels WHERE id = ?',
      [dto.channelId],
    );
    if (!channel || channel.client_id === null || Number(channel.client_id) !== client.id)
      throw new NotFoundError(`channelId ${dto.channelId}: no notification channel of client ${client.id} has that id`);
    if (channel.type !== 'email')
      throw InvalidInputError.forFields([
        { field: 'channelId', message: `channelId ${dto.channelId} is a ${channel.type} channel: the report goes by e-mail only` },
      ]);
    const id = await this.db.transaction((m) =>
      this.db.insertReturningId(
        'INSERT INTO report_schedules (client_id, channel_id, lang, day_of_month, created_by, created_at, attempts) VALUES (?, ?, ?, ?, ?, ?, 0)',
        [client.id, dto.channelId, dto.lang, dto.dayOfMonth, actor, Date.now()],
        m,
      ),
    );
    return this.respond(await this.row(scope, id));
  }

  async list(scope: ClientScope, clientId?: number): Promise<ReportScheduleResponse[]> {
    const where = new ScopedWhere(scope, 'client_id');
    if (clientId !== undefined) where.and('client_id = ?', clientId);
    const rows = await this.db.query<ScheduleRow>(`SELECT ${SCHEDULE_COLUMNS} FROM report_schedules${where.sql} ORDER BY id`, where.params);
    return Promise.all(rows.map((r) => this.respond(r)));
  }

  async remove(scope: ClientScope, id: number): Promise<void> {
    await this.row(scope, id);
    await this.db.transaction((m) => this.db.execute('DELETE FROM report_schedules WHERE id = ?', [id], m));
  }

  private async row(scope: ClientScope, id: number): Promise<ScheduleRow> {
    const [row] = await this.db.query<ScheduleRow>(`SELECT ${SCHEDULE_COLUMNS} FROM report_schedules WHERE id = ?`, [id]);
    if (!row || (scope.clientId !== null && Number(row.client_id) !== scope.clientId)) throw new NotFoundError(`Report schedule ${id} not found`);
    return row;
  }

  private async respond(row: ScheduleRow, now = Date.now()): Promise<ReportScheduleResponse> {
    const { timezone } = await this.clients.dataSettings(Number(row.client_id));
    return {
      id: Number(row.id),
      clientId: Number(row.client_id),
      channelId: Number(row.channel_id),
      lang: row.lang as ReportLanguage,
      dayOfMonth: Number(row.day_of_month),
      createdBy: row.created_by,
      createdAt: iso(row.created_at) as string,
      lastSentMonth: row.last_sent_month,
      lastSentAt: iso(row.last_sent_at),
      nextRunAt: new Date(scheduleState(row, now, timezone).nextRunAt).toISOString(),
      attempts: Number(row.attempts),
      lastError: row.last_error,
    };
  }
}
