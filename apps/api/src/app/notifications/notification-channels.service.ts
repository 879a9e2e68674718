import { Injectable } from '@nestjs/common';
import { OutboundTargetError } from '@pieng/connectors';
import { isEmail, isURL } from 'class-validator';
import type { EntityManager } from 'typeorm';
import type { AlarmSeverity } from '@pieng/shared';
import { ClientsService } from '../clients/clients.service';
import { ScopedWhere, type ClientScope } from '../common/client-scope';
import { FieldError, ForbiddenError, InvalidInputError, NotFoundError } from '../common/domain-errors';
import { Database } from '../database/database.service';
import { SecretBox } from '../secrets/secret-box';
import { ChannelDelivery } from './channel-delivery';
import { CreateNotificationChannelDto } from './dto/create-notification-channel.dto';
import { ChannelTestResponse, NotificationChannelResponse } from './dto/notification-channel.response';
import { UpdateNotificationChannelDto } from './dto/update-notification-channel.dto';
import type {
  ChannelConfig,
  ChannelType,
  EmailConfig,
  NotificationChannel,
  NotifyOn,
  SmsConfig,
  TelegramConfig,
  WebhookConfig,
} from './entities/notification-channel.row';
import { renderTestMessage, type Language } from './notification-message';
import { isWebhookSecret, newWebhookSecret } from './webhook-signature';

/** Config fields stored sealed with the SecretBox, per type. */
const SECRET_FIELDS: Record<ChannelType, string[]> = { email: [], webhook: ['secret'], telegram: ['botToken'], sms: [] };
const MAX_RECIPIENTS = 20;
/** E.164: a plus, the country code and at most 15 digits in all. */
const E164 = /^\+[1-9]\d{6,14}$/;
/** A Bot API token: the bot's numeric id, a colon, 35 characters or so. */
const TELEGRAM_TOKEN = /^\d{3,15}:[A-Za-z0-9_-]{20,100}$/;
/** A chat id (negative for groups) or a public channel's @username. */
const TELEGRAM_CHAT = /^(-?\d{1,20}|@[A-Za-z][A-Za-z0-9_]{4,31})$/;

interface ChannelRow {
  id: number | string;
  client_id: number | string | null;
  name: string;
  type: ChannelType;
  config: string;
  min_severity: AlarmSeverity;
  on_kinds: string;
  enabled: boolean | number;
  staff_target: boolean | number;
  created_at: number | string;
  updated_at: number | string;
}

const COLUMNS = 'id, client_id, name, type, config, min_severity, on_kinds, enabled, staff_target, created_at, updated_at';

/** The caller, as the channels see it: its client scope, and whether it is platform staff (may target private networks). */
const isStaff = (scope: ClientScope) => scope.clientId === null;

/**
 * Notification channels: where a client's alarm transitions are sent. Configuration is checked per
 * type (addresses, numbers, the webhook URL against the outbound rules for the caller); secrets
 * are sealed with the SecretBox and never answered back, except a webhook's secret once, on creation.
 */
@Injectable()
export class NotificationChannelsService {
  constructor(
    private readonly db: Database,
    private readonly box: SecretBox,
    private readonly clients: ClientsService,
    private readonly delivery: ChannelDelivery,
  ) {}

  private open(row: ChannelRow): NotificationChannel {
    const id = Number(row.id);
    const config = JSON.parse(row.config) as Record<string, unknown>;
    for (const field of SECRET_FIELDS[row.type] ?? []) {
      if (typeof config[field] === 'string') config[field] = this.box.open(config[field] as string, `notification-channel:${id}:${field}`);
    }
    return {
      id,
      clientId: row.client_id === null ? null : Number(row.client_id),
      name: row.name,
      type: row.type,
      config: config as unknown as ChannelConfig,
      minSeverity: row.min_severity,
      on: row.on_kinds.split(',').filter(Boolean) as NotifyOn[],
      enabled: Boolean(row.enabled),
      staffTarget: Boolean(row.staff_target),
      createdAt: Number(row.created_at),
      updatedAt: Number(row.updated_at),
    };
  }

  private seal(id: number, type: ChannelType, config: ChannelConfig): string {
    const stored: Record<string, unknown> = { ...config };
    for (const field of SECRET_FIELDS[type])
      if (typeof stored[field] === 'string') stored[field] = this.box.seal(stored[field] as string, `notification-channel:${id}:${field}`);
    return JSON.stringify(stored);
  }

  /** Channels by id, configuration opened (for delivery; no scope). */
  async byIds(ids: number[], m?: EntityManager): Promise<NotificationChannel[]> {
    if (ids.length === 0) return [];
    const rows = await this.db.query<ChannelRow>(`SELECT ${COLUMNS} FROM notification_channels WHERE id IN (${ids.map(() => '?').join(',')})`, ids, m);
    return rows.map((r) => this.open(r));
  }

  async get(scope: ClientScope, id: number): Promise<NotificationChannel> {
    const [row] = await this.db.query<ChannelRow>(`SELECT ${COLUMNS} FROM notification_channels WHERE id = ?`, [id]);
    // A client's user sees its own client's channels; platform-wide ones are staff's.
    if (!row || (scope.clientId !== null && Number(row.client_id) !== scope.clientId)) throw new NotFoundError(`Notification channel ${id} not found`);
    return this.open(row);
  }

  async list(scope: ClientScope, clientId?: number): Promise<NotificationChannelResponse[]> {
    const where = new ScopedWhere(scope, 'client_id');
    if (clientId !== undefined) where.and('client_id = ?', clientId);
    const rows = await this.db.query<ChannelRow>(`SELECT ${COLUMNS} FROM notification_channels${where.sql} ORDER BY id`, where.params);
    const channels = rows.map((r) => this.open(r));
    return Promise.all(channels.map((c) => this.respond(c)));
  }

  /** The answer for a channel, with its delivery figures. */
  async respond(c: NotificationChannel, secret?: string): Promise<NotificationChannelResponse> {
    const [stats] = await this.db.query<{ last_delivered: number | string | null; failed: number | string; pending: number | string }>(
      `SELECT MAX(delivered_at) AS last_delivered,
              SUM(CASE WHEN status = 'failed' THEN 1 ELSE 0 END) AS failed,
              SUM(CASE WHEN status = 'pending' THEN 1 ELSE 0 END) AS pending
         FROM notifications WHERE channel_id = ?`,
      [c.id],
    );
    const [last] = await this.db.query<{ last_error: string | null }>(
      `SELECT last_error FROM notifications WHERE channel_id = ? AND last_error IS NOT NULL ORDER BY last_attempt_at DESC LIMIT 1`,
      [c.id],
    );
    return {
      id: c.id,
      clientId: c.clientId,
      name: c.name,
      type: c.type,
      config: publicConfig(c),
      minSeverity: c.minSeverity,
      on: c.on,
      enabled: c.enabled,
      createdAt: new Date(c.createdAt).toISOString(),
      lastDeliveredAt: stats?.last_delivered != null ? new Date(Number(stats.last_delivered)).toISOString() : null,
      failed: Number(stats?.failed ?? 0),
      pending: Number(stats?.pending ?? 0),
      lastError: last?.last_error ?? null,
      ...(secret && { secret }),
    };
  }

  async create(scope: ClientScope, dto: CreateNotificationChannelDto): Promise<NotificationChannelResponse> {
    const clientId = dto.clientId === undefined ? scope.clientId : dto.clientId;
    if (clientId === null && !isStaff(scope)) throw new ForbiddenError('Only platform staff make platform-wide channels (clientId null)');
    if (clientId !== null) await this.clients.get(scope, clientId);
    const config = await this.checkConfig(dto.type, dto.config, undefined, scope);
    let secret: string | undefined;
    if (dto.type === 'webhook') (config as WebhookConfig).secret = secret = newWebhookSecret();
    const now = Date.now();
    const minSeverity = dto.minSeverity ?? (dto.type === 'sms' ? 'major' : 'warning');
    const on = dto.on ?? ['raised', 'cleared'];
    const id = await this.db.transaction(async (m) => {
      const id = await this.db.insertReturningId(
        `INSERT INTO notification_channels (client_id, name, type, config, min_severity, on_kinds, enabled, staff_target, created_at, updated_at) VALUES (?, ?, ?, '{}', ?, ?, ?, ?, ?, ?)`,
        [clientId, dto.name, dto.type, minSeverity, [...new Set(on)].join(','), dto.enabled ?? true, isStaff(scope), now, now],
        m,
      );
      await this.db.execute('UPDATE notification_channels SET config = ? WHERE id = ?', [this.seal(id, dto.type, config), id], m);
      return id;
    });
    return this.respond(await this.get(scope, id), secret);
  }

  async update(scope: ClientScope, id: number, dto: UpdateNotificationChannelDto): Promise<NotificationChannelResponse> {
    const channel = await this.get(scope, id);
    let config = channel.config;
    let staffTarget = channel.staffTarget;
    if (dto.config !== undefined) {
      config = await this.checkConfig(channel.type, { ...(channel.config as unknown as Record<string, unknown>), ...dto.config }, channel, scope);
      // Whoever set the URL last decides where it may point.
      if (channel.type === 'webhook' && dto.config['url'] !== undefined) staffTarget = isStaff(scope);
    }
    await this.db.transaction((m) =>
      this.db.execute(
        'UPDATE notification_channels SET name = ?, config = ?, min_severity = ?, on_kinds = ?, enabled = ?, staff_target = ?, updated_at = ? WHERE id = ?',
        [
          dto.name ?? channel.name,
          this.seal(id, channel.type, config),
          dto.minSeverity ?? channel.minSeverity,
          [...new Set(dto.on ?? channel.on)].join(','),
          dto.enabled ?? channel.enabled,
          staffTarget,
          Date.now(),
          id,
        ],
        m,
      ),
    );
    return this.respond(await this.get(scope, id));
  }

  async remove(scope: ClientScope, id: number): Promise<void> {
    await this.get(scope, id);
    await this.db.transaction(async (m) => {
      await this.db.execute('DELETE FROM notifications WHERE channel_id = ?', [id], m);
      await this.db.execute('DELETE FROM notification_channels WHERE id = ?', [id], m);
    });
  }

  /**
   * Sends a test message now (not through the outbox) and says whether it went through. The target
   * is checked for the caller; a client's user learns only delivered or not, so that the button
   * cannot be used to probe what answers where.
   */
  async test(scope: ClientScope, id: number): Promise<ChannelTestResponse> {
    const channel = await this.get(scope, id);
    const language = await this.languageOf(channel.clientId);
    try {
      // A target staff set (a loopback or private address) is tested as it is delivered to; a client's user cannot change it without losing that.
      const staff = channel.staffTarget || isStaff(scope);
      if (channel.type === 'webhook') await this.delivery.targets.resolve((channel.config as WebhookConfig).url, { staff });
      await this.delivery.deliver({ ...channel, staffTarget: staff }, renderTestMessage(channel.name, language), null, `test-${channel.id}-${Date.now()}`);
      return { delivered: true };
    } catch (err) {
      return isStaff(scope) ? { delivered: false, error: (err as Error).message } : { delivered: false };
    }
  }

  async languageOf(clientId: number | null): Promise<Language> {
    if (clientId === null) return 'en';
    const [row] = await this.db.query<{ language: string }>('SELECT language FROM clients WHERE id = ?', [clientId]);
    return row?.language === 'pt-BR' ? 'pt-BR' : 'en';
  }

  /** The configuration of a type, checked field by field (400 naming config.<field>), with only the fields the type knows. */
  private async checkConfig(
    type: ChannelType,
    raw: Record<string, unknown>,
    existing: NotificationChannel | undefined,
    scope: ClientScope,
  ): Promise<ChannelConfig> {
    const errors: FieldError[] = [];
    const list = (field: string, check: (v: string) => boolean, what: string): string[] => {
      const value = raw[field];
      if (!Array.isArray(value) || value.length === 0 || value.length > MAX_RECIPIENTS) {
        errors.push({ field: `config.${field}`, message: `config.${field} must be a list of 1 to ${MAX_RECIPIENTS} ${what}` });
        return [];
      }
      value.forEach((v, i) => {
        if (typeof v !== 'string' || !check(v))
          errors.push({
            field: `config.${field}[${i}]`,
            message: `config.${field}[${i}] is not ${what.replace(/s$/, '').replace(/^/, 'a valid ')}: ${JSON.stringify(v)}`,
          });
      });
      return value as string[];
    };
    let config: ChannelConfig;
    switch (type) {
      case 'email':
        config = { to: list('to', (v) => isEmail(v), 'e-mail addresses') } satisfies EmailConfig;
        break;
      case 'sms':
        config = { to: list('to', (v) => E164.test(v), 'phone numbers in E.164 form (+5511987654321)') } satisfies SmsConfig;
        break;
      case 'telegram': {
        const botToken = raw['botToken'];
        const chatId = typeof raw['chatId'] === 'number' ? String(raw['chatId']) : raw['chatId'];
        if (typeof botToken !== 'string' || !TELEGRAM_TOKEN.test(botToken))
          errors.push({ field: 'config.botToken', message: 'config.botToken must be a Telegram bot token (123456789:AA...), as @BotFather gives it' });
        if (typeof chatId !== 'string' || !TELEGRAM_CHAT.test(chatId))
          errors.push({ field: 'config.chatId', message: 'config.chatId must be a chat id (e.g. -1001234567890) or a public channel @username' });
        config = { botToken: botToken as string, chatId: chatId as string } satisfies TelegramConfig;
        break;
      }
      case 'webhook': {
        const url = raw['url'];
        if (
          typeof url !== 'string' ||
          url.length > 2000 ||
          !isURL(url, { protocols: ['http', 'https'], require_protocol: true, require_tld: false, require_host: true })
        ) {
          errors.push({ field: 'config.url', message: 'config.url must be an http(s) URL such as https://hooks.example.com/pieng' });
        } else if (/^[a-z]+:\/\/[^/]*@/i.test(url)) {
          errors.push({ field: 'config.url', message: 'config.url must not carry credentials (user:password@); the request is signed instead' });
        } else {
          try {
            await this.delivery.targets.resolve(url, { staff: isStaff(scope) });
          } catch (err) {
            if (!(err instanceof OutboundTargetError)) throw err;
            errors.push({ field: 'config.url', message: `config.url: ${err.message}` });
          }
        }
        const secret = (existing?.config as WebhookConfig | undefined)?.secret;
        config = { url: url as string, secret: secret && isWebhookSecret(secret) ? secret : '' } satisfies WebhookConfig;
        break;
      }
    }
    if (errors.length) throw InvalidInputError.forFields(errors);
    return config;
  }
}

/** A channel's configuration without its secrets. */
function publicConfig(c: NotificationChannel): Record<string, unknown> {
  switch (c.type) {
    case 'webhook':
      return { url: (c.config as WebhookConfig).url };
    case 'telegram': {
      const t = c.config as TelegramConfig;
      // The bot id before the colon is public (it is the bot's user id); the rest is the secret.
      return { chatId: t.chatId, botToken: `${t.botToken.split(':')[0]}:…` };
    }
    default:
      return { ...(c.config as unknown as Record<string, unknown>) };
  }
}
