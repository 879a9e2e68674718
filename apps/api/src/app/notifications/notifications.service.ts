import { Injectable } from '@nestjs/common';
import { ScopedWhere, type ClientScope } from '../common/client-scope';
import { Database } from '../database/database.service';
import type { NotificationPayload } from './entities/notification-channel.row';
import type { NotificationQuery } from './dto/notification.query';
import type { NotificationResponse } from './dto/notification.response';

const iso = (ms: number | string | null) => (ms === null ? null : new Date(Number(ms)).toISOString());

/** The delivery log: each queued notification with its status, attempts and last error. */
@Injectable()
export class NotificationsService {
  constructor(private readonly db: Database) {}

  async list(scope: ClientScope, query: NotificationQuery): Promise<NotificationResponse[]> {
    // Scoped by the channel's client: a client's user sees its own channels' deliveries only.
    const where = new ScopedWhere(scope, 'c.client_id');
    if (query.channelId !== undefined) where.and('n.channel_id = ?', query.channelId);
    if (query.status !== undefined) where.and('n.status = ?', query.status);
    const rows = await this.db.query<Record<string, string | number | null>>(
      `SELECT n.id, n.channel_id, c.name AS channel_name, n.event_id, n.kind, n.severity, n.payload, n.status, n.attempts, n.last_error, n.created_at, n.next_attempt_at, n.delivered_at
         FROM notifications n JOIN notification_channels c ON c.id = n.channel_id
       ${where.sql} ORDER BY n.id DESC LIMIT ${query.limit ?? 100}`,
      where.params,
    );
    return rows.map((r) => {
      const payload = JSON.parse(String(r['payload'])) as NotificationPayload;
      return {
        id: Number(r['id']),
        channelId: Number(r['channel_id']),
        channelName: String(r['channel_name']),
        eventId: r['event_id'] === null ? null : Number(r['event_id']),
        kind: String(r['kind']),
        severity: String(r['severity']),
        ruleName: payload.ruleName,
        deviceName: payload.deviceName,
        status: r['status'] as NotificationResponse['status'],
        attempts: Number(r['attempts']),
        lastError: (r['last_error'] as string | null) ?? null,
        createdAt: iso(r['created_at']) as string,
        nextAttemptAt: r['status'] === 'pending' ? iso(r['next_attempt_at']) : null,
        deliveredAt: iso(r['delivered_at']),
      };
    });
  }
}
