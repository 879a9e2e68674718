import { isPlatformAlarmType, type AlarmSeverity, type Language, type PlatformAlarmType } from '@pieng/shared';
import { localParts } from '../common/time-zones';
import type { NotificationPayload } from './entities/notification-channel.row';

export type { Language };

interface Words {
  severity: Record<AlarmSeverity, string>;
  kind: (p: NotificationPayload) => string;
  labels: {
    alarm: string;
    state: string;
    severity: string;
    device: string;
    condition: string;
    metric: string;
    value: string;
    threshold: string;
    time: string;
    link: string;
    comment: string;
  };
  platform: string;
  /** What a platform alarm watches, named where a device's alarm names the device. */
  conditions: Record<PlatformAlarmType, string>;
  test: { subject: string; body: string };
}

const WORDS: Record<Language, Words> = {
  en: {
    severity: { critical: 'critical', major: 'major', minor: 'minor', warning: 'warning' },
    kind: (p) =>
      p.kind === 'raised'
        ? 'raised'
        : p.kind === 'reAlarmed'
          ? 'raised again (still active, no longer acknowledged)'
          : p.kind === 'cleared'
            ? 'cleared'
            : p.kind === 'acknowledged'
              ? `acknowledged${p.by ? ` by ${p.by}` : ''}`
              : p.kind === 'escalated'
                ? `still unacknowledged after ${p.escalatedAfterMin} min`
                : p.kind,
    labels: {
      alarm: 'Alarm',
      state: 'State',
      severity: 'Severity',
      device: 'Device',
      condition: 'Condition',
      metric: 'Metric',
      value: 'Value',
      threshold: 'Threshold',
      time: 'Time',
      link: 'Link',
      comment: 'Comment',
    },
    platform: 'platform',
    conditions: {
      diskSpace: 'Free disk space in the data directory',
      backupFailed: 'Last scheduled backup failed',
      forwardingStuck: 'Forwarding to the next instance stuck',
    },
    test: { subject: 'Test notification', body: 'This is a test of the notification channel "{name}". If you read this, it works.' },
  },
  'pt-BR': {
    severity: { critical: 'crítico', major: 'maior', minor: 'menor', warning: 'aviso' },
    kind: (p) =>
      p.kind === 'raised'
        ? 'disparado'
        : p.kind === 'reAlarmed'
          ? 'disparado novamente (ainda ativo, reconhecimento expirado)'
          : p.kind === 'cleared'
            ? 'normalizado'
            : p.kind === 'acknowledged'
              ? `reconhecido${p.by ? ` por ${p.by}` : ''}`
              : p.kind === 'escalated'
                ? `sem reconhecimento após ${p.escalatedAfterMin} min`
                : p.kind,
    labels: {
      alarm: 'Alarme',
      state: 'Estado',
      severity: 'Severidade',
      device: 'Dispositivo',
      condition: 'Condição',
      metric: 'Métrica',
      value: 'Valor',
      threshold: 'Limite',
      time: 'Horário',
      link: 'Link',
      comment: 'Comentário',
    },
    platform: 'plataforma',
    conditions: {
      diskSpace: 'Espaço livre em disco no diretório de dados',
      backupFailed: 'Último backup agendado falhou',
      forwardingStuck: 'Encaminhamento para a próxima instância parado',
    },
    test: { subject: 'Notificação de teste', body: 'Este é um teste do canal de notificação "{name}". Se você está lendo isto, ele funciona.' },
  },
};

/** What one notification says, in the client's language and time zone. */
export interface RenderedMessage {
  subject: string;
  /** Plain text, one fact per line (e-mail body, Telegram message). */
  text: string;
  /** One short line for SMS. */
  short: string;
  /** The event in the console, when PUBLIC_URL is set. */
  link: string | null;
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

/** 2026-11-26 05:00:00 (en) or 26/11/2026 05:00:00 (pt-BR), in the time zone; the zone's name follows. */
/** A severity in the language of a message or a report. */
export const severityWord = (severity: AlarmSeverity, language: Language): string => WORDS[language].severity[severity];

export function formatTime(at: number, timeZone: string, language: Language): string {
  const p = localParts(at, timeZone);
  const [mo, d, h, mi, s] = [p.month, p.day, p.hour, p.minute, p.second].map(pad);
  const date = language === 'pt-BR' ? `${d}/${mo}/${p.year}` : `${p.year}-${mo}-${d}`;
  return `${date} ${h}:${mi}:${s} (${timeZone})`;
}

function formatNumber(value: number, language: Language): string {
  return new Intl.NumberFormat(language, { maximumFractionDigits: 3, useGrouping: false }).format(value);
}

export function renderMessage(p: NotificationPayload, o: { language: Language; timeZone: string; publicUrl?: string }): RenderedMessage {
  const w = WORDS[o.language] ?? WORDS.en;
  const sev = w.severity[p.severity] ?? p.severity;
  const unit = p.unit ? ` ${p.unit}` : '';
  // A platform alarm (no device) names its condition where a device's names the device.
  const condition = p.deviceId === null && isPlatformAlarmType(p.ruleType) ? w.conditions[p.ruleType] : null;
  const device = condition ?? p.deviceName ?? w.platform;
  const value = p.value === null ? null : `${formatNumber(p.value, o.language)}${unit}`;
  const threshold = p.threshold === null ? null : `${p.operator ? `${p.operator} ` : ''}${formatNumber(p.threshold, o.language)}${unit}`;
  const time = formatTime(p.at, o.timeZone, o.language);
  const link = o.publicUrl ? `${o.publicUrl}/alarms?event=${p.eventId}` : null;
  const state = w.kind(p);
  const lines = [
    `${w.labels.alarm}: ${p.ruleName}`,
    `${w.labels.state}: ${state}`,
    `${w.labels.severity}: ${sev}`,
    condition ? `${w.labels.condition}: ${condition}` : `${w.labels.device}: ${device}`,
    ...(p.metric ? [`${w.labels.metric}: ${p.metric}`] : []),
    ...(value !== null ? [`${w.labels.value}: ${value}`] : []),
    ...(threshold !== null ? [`${w.labels.threshold}: ${threshold}`] : []),
    `${w.labels.time}: ${time}`,
    ...(p.comment ? [`${w.labels.comment}: ${p.comment}`] : []),
    ...(link ? [`${w.labels.link}: ${link}`] : []),
  ];
  const subject = `[${sev.toUpperCase()}] ${p.ruleName}: ${device}, ${state}`;
  const short = [`[${sev.toUpperCase()}] ${device}`, p.ruleName, state, value, time].filter(Boolean).join(' | ');
  return { subject, text: lines.join('\n'), short, link };
}

export function renderTestMessage(channelName: string, language: Language): RenderedMessage {
  const w = WORDS[language] ?? WORDS.en;
  const text = w.test.body.replace('{name}', channelName);
  return { subject: w.test.subject, text, short: text, link: null };
}
