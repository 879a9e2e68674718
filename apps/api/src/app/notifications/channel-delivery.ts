import { Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import { OutboundTargetError, OutboundTargets } from '@pieng/connectors';
import { createTransport, type Transporter } from 'nodemailer';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import type { EmailConfig, NotificationChannel, NotificationPayload, SmsConfig, TelegramConfig, WebhookConfig } from './entities/notification-channel.row';
import type { RenderedMessage } from './notification-message';
import { postToTarget } from './outbound-http';
import { webhookHeaders } from './webhook-signature';

/** A send that did not go through. `permanent`: no retry can change it (a refused address, a bad token). */
export class DeliveryError extends Error {
  constructor(
    message: string,
    readonly permanent = false,
    /** The target asked to wait this long (Telegram's retry_after, a Retry-After header). */
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'DeliveryError';
  }
}

/** One request may take this long. */
const TIMEOUT_MS = 10_000;
/** Telegram allows about one message per second to one chat. */
const TELEGRAM_CHAT_INTERVAL_MS = 1000;

/** HTTP answers that a retry may change: the others (400, 401, 403, 404, 410, 422, ...) fail the delivery at once. */
const retryable = (status: number) => status >= 500 || status === 408 || status === 425 || status === 429;

function retryAfterHeader(value: string | string[] | undefined): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (!text) return undefined;
  const sec = Number(text);
  return Number.isFinite(sec) && sec >= 0 ? sec * 1000 : undefined;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The recipients of one delivery that already have it, and how to record another. */
export interface RecipientProgress {
  done: ReadonlySet<string>;
  sent(to: string): Promise<void>;
}

/**
 * Sends one rendered message through one channel: e-mail (nodemailer over SMTP_URL), a signed
 * webhook, Telegram's Bot API, an SMS gateway. The webhook URL is the user's, so it is checked
 * again at every send (its name may resolve elsewhere by now) against who set it; the SMTP server,
 * Telegram's API and the SMS gateway are the operator's (environment), so they are not.
 */
@Injectable()
export class ChannelDelivery implements OnModuleDestroy {
  private mailer?: Transporter;
  /** When each Telegram chat may receive its next message (local clock, ms). */
  private readonly telegramNext = new Map<string, number>();
  /** The send each chat's next message waits for. */
  private readonly telegramTurns = new Map<string, Promise<void>>();
  readonly targets: OutboundTargets;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    this.targets = new OutboundTargets(config.network.outboundAllowedNetworks);
  }

  onModuleDestroy(): void {
    this.mailer?.close();
  }

  /**
   * `key` is the delivery's idempotency key: the webhook-id, the same on every retry, so a receiver can drop a repeat.
   * `recipients`: for a channel that sends one message per recipient (SMS), those that already have it
   * (skipped), and where to record each one as it gets it, so that a retry never sends a number twice.
   */
  async deliver(
    channel: NotificationChannel,
    message: RenderedMessage,
    payload: NotificationPayload | null,
    key: string,
    recipients?: RecipientProgress,
  ): Promise<void> {
    switch (channel.type) {
      case 'email':
        return this.email(channel.config as EmailConfig, message);
      case 'webhook':
        return this.webhook(channel, message, payload, key);
      case 'telegram':
        return this.telegram(channel.config as TelegramConfig, message);
      case 'sms':
        return this.sms(channel.config as SmsConfig, message, recipients);
    }
  }

  private email(config: EmailConfig, message: RenderedMessage): Promise<void> {
    return this.sendEmail(config.to, message.subject, message.text);
  }

  /** One e-mail through SMTP_URL, with files attached (the scheduled monthly report's PDF). */
  async sendEmail(
    to: string[],
    subject: string,
    text: string,
    attachments: Array<{ filename: string; content: Buffer; contentType: string }> = [],
  ): Promise<void> {
    const { smtpUrl, smtpFrom } = this.config.notifications;
    if (!smtpUrl) throw new DeliveryError('SMTP_URL is not set: e-mail cannot be sent');
    this.mailer ??= createTransport({ url: smtpUrl, connectionTimeout: TIMEOUT_MS, greetingTimeout: TIMEOUT_MS, socketTimeout: TIMEOUT_MS });
    try {
      await this.mailer.sendMail({ from: smtpFrom, to, subject, text, ...(attachments.length && { attachments }) });
    } catch (err) {
      const code = (err as { responseCode?: number }).responseCode;
      // 5xx: the server refused for good (unknown mailbox, relaying denied); 4xx and network errors pass.
      throw new DeliveryError(`SMTP: ${(err as Error).message}`, code !== undefined && code >= 500);
    }
  }

  private async webhook(channel: NotificationChannel, message: RenderedMessage, payload: NotificationPayload | null, key: string): Promise<void> {
    const config = channel.config as WebhookConfig;
    let target;
    try {
      target = await this.targets.resolve(config.url, { staff: channel.staffTarget });
    } catch (err) {
      if (err instanceof OutboundTargetError) throw new DeliveryError(err.message, !/does not resolve/.test(err.message));
      throw err;
    }
    const body = JSON.stringify({
      type: payload ? `alarm.${payload.kind}` : 'notification.test',
      timestamp: new Date(payload?.at ?? Date.now()).toISOString(),
      data: { ...(payload ?? {}), subject: message.subject, text: message.text, link: message.link },
    });
    let res;
    try {
      res = await postToTarget(
        target,
        { 'content-type': 'application/json', 'user-agent': 'pieng-medidor-notifications', ...webhookHeaders(config.secret, key, body) },
        body,
        TIMEOUT_MS,
      );
    } catch (err) {
      throw new DeliveryError(`webhook: ${(err as Error).message}`);
    }
    if (res.status >= 200 && res.status < 300) return;
    throw new DeliveryError(
      `webhook answered ${res.status}${res.body ? `: ${res.body.slice(0, 200)}` : ''}`,
      !retryable(res.status),
      res.status === 429 ? retryAfterHeader(res.headers['retry-after']) : undefined,
    );
  }

  /**
   * One message at a time per chat, the next no sooner than a second after Telegram answered the
   * last (so that a second passes between two arrivals there, whatever the network's delays), or
   * after the retry_after of a 429.
   */
  private async telegram(config: TelegramConfig, message: RenderedMessage): Promise<void> {
    const chat = config.chatId;
    const before = this.telegramTurns.get(chat) ?? Promise.resolve();
    let done!: () => void;
    const turn = before.then(() => new Promise<void>((r) => (done = r)));
    this.telegramTurns.set(chat, turn);
    await before;
    let next = TELEGRAM_CHAT_INTERVAL_MS;
    try {
      const wait = (this.telegramNext.get(chat) ?? 0) - Date.now();
      if (wait > 0) await sleep(wait);
      const url = `${this.config.notifications.telegramApiUrl}/bot${config.botToken}/sendMessage`;
      let res: Response;
      try {
        res = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ chat_id: chat, text: message.text, disable_web_page_preview: true }),
          signal: AbortSignal.timeout(TIMEOUT_MS),
        });
      } catch (err) {
        throw new DeliveryError(`Telegram: ${(err as Error).message}`);
      }
      if (res.ok) return;
      const answer = (await res.json().catch(() => ({}))) as { description?: string; parameters?: { retry_after?: number } };
      const description = `Telegram answered ${res.status}${answer.description ? `: ${answer.description}` : ''}`;
      if (res.status === 429) {
        next = Math.max(next, (answer.parameters?.retry_after ?? 1) * 1000);
        throw new DeliveryError(description, false, next);
      }
      throw new DeliveryError(description, !retryable(res.status));
    } finally {
      this.telegramNext.set(chat, Date.now() + next);
      done?.();
      if (this.telegramTurns.get(chat) === turn) this.telegramTurns.delete(chat);
    }
  }

  private async sms(config: SmsConfig, message: RenderedMessage, recipients?: RecipientProgress): Promise<void> {
    const { smsGatewayUrl, smsGatewayToken, smsGatewayFormat, smsFrom } = this.config.notifications;
    if (!smsGatewayUrl) throw new DeliveryError('SMS_GATEWAY_URL is not set: SMS cannot be sent');
    const auth = smsGatewayToken
      ? smsGatewayFormat === 'twilio' || smsGatewayToken.includes(':')
        ? `Basic ${Buffer.from(smsGatewayToken).toString('base64')}`
        : `Bearer ${smsGatewayToken}`
      : undefined;
    for (const to of config.to) {
      if (recipients?.done.has(to)) continue;
      // Twilio's Messages API takes a form (To, From, Body) with Basic auth AccountSid:AuthToken.
      const body =
        smsGatewayFormat === 'twilio'
          ? new URLSearchParams({ To: to, ...(smsFrom && { From: smsFrom }), Body: message.short }).toString()
          : JSON.stringify({ to, from: smsFrom ?? null, text: message.short });
      let res: Response;
      try {
        res = await fetch(smsGatewayUrl, {
          method: 'POST',
          headers: {
            'content-type': smsGatewayFormat === 'twilio' ? 'application/x-www-form-urlencoded' : 'application/json',
            ...(auth && { authorization: auth }),
          },
          body,
          signal: AbortSignal.timeout(TIMEOUT_MS),
        });
      } catch (err) {
        throw new DeliveryError(`SMS gateway: ${(err as Error).message}`);
      }
      if (!res.ok) {
        const text = (await res.text().catch(() => '')).slice(0, 200);
        throw new DeliveryError(
          `SMS gateway answered ${res.status} for ${to}${text ? `: ${text}` : ''}`,
          !retryable(res.status),
          res.status === 429 ? retryAfterHeader(res.headers.get('retry-after') ?? undefined) : undefined,
        );
      }
      await recipients?.sent(to);
    }
  }
}
