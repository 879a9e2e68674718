import { ConfigurationError, loadConfig } from '../config/app-config';
import { formatTime, renderMessage } from './notification-message';
import { signWebhook, verifyWebhook } from './webhook-signature';

describe('notification messages', () => {
  it("writes the time in the client's zone, across a daylight-saving change", () => {
    // New York: EDT (UTC-4) until 2026-11-01 06:00 UTC, EST (UTC-5) after.
    expect(formatTime(Date.UTC(2026, 9, 31, 12, 0, 0), 'America/New_York', 'en')).toBe('2026-10-31 08:00:00 (America/New_York)');
    expect(formatTime(Date.UTC(2026, 10, 2, 12, 0, 0), 'America/New_York', 'en')).toBe('2026-11-02 07:00:00 (America/New_York)');
    // São Paulo, UTC-3; pt-BR writes day/month/year; midnight is 00, not 24.
    expect(formatTime(Date.UTC(2026, 0, 5, 3, 0, 0), 'America/Sao_Paulo', 'pt-BR')).toBe('05/01/2026 00:00:00 (America/Sao_Paulo)');
  });

  it('leaves out what a platform alarm does not have, and names the acknowledger and comment', () => {
    const m = renderMessage(
      {
        eventId: 9,
        historyId: 1,
        kind: 'acknowledged',
        at: Date.UTC(2026, 10, 26, 8, 0, 0),
        ruleId: 1,
        ruleName: 'Disk space',
        clientId: 1,
        deviceId: null,
        deviceName: null,
        severity: 'warning',
        metric: null,
        value: null,
        unit: null,
        operator: null,
        threshold: null,
        by: 'ana@plant.example',
        comment: 'cleaning up',
      },
      { language: 'en', timeZone: 'UTC' },
    );
    expect(m.text.split('\n')).toEqual([
      'Alarm: Disk space',
      'State: acknowledged by ana@plant.example',
      'Severity: warning',
      'Device: platform',
      'Time: 2026-11-26 08:00:00 (UTC)',
      'Comment: cleaning up',
    ]);
    expect(m.link).toBeNull();
    expect(m.subject).toBe('[WARNING] Disk space: platform, acknowledged by ana@plant.example');
  });

  it("names a platform alarm's condition where a device's alarm names the device, in English and Portuguese", () => {
    const payload = {
      eventId: 9,
      historyId: 1,
      kind: 'raised' as const,
      at: Date.UTC(2026, 10, 26, 8, 0, 0),
      ruleId: 1,
      ruleName: 'Disco',
      clientId: null,
      ruleType: 'diskSpace' as const,
      deviceId: null,
      deviceName: null,
      severity: 'critical' as const,
      metric: null,
      value: 812,
      unit: 'MB',
      operator: '<',
      threshold: 2048,
    };
    const en = renderMessage(payload, { language: 'en', timeZone: 'UTC' });
    expect(en.text.split('\n')).toEqual([
      'Alarm: Disco',
      'State: raised',
      'Severity: critical',
      'Condition: Free disk space in the data directory',
      'Value: 812 MB',
      'Threshold: < 2048 MB',
      'Time: 2026-11-26 08:00:00 (UTC)',
    ]);
    expect(en.subject).toBe('[CRITICAL] Disco: Free disk space in the data directory, raised');
    const pt = renderMessage(
      { ...payload, ruleType: 'forwardingStuck', value: 17.5, unit: 'min', operator: '>=', threshold: 15 },
      { language: 'pt-BR', timeZone: 'America/Sao_Paulo' },
    );
    expect(pt.text).toContain('Condição: Encaminhamento para a próxima instância parado');
    expect(pt.text).toContain('Valor: 17,5 min');
    expect(pt.short).toBe('[CRÍTICO] Encaminhamento para a próxima instância parado | Disco | disparado | 17,5 min | 26/11/2026 05:00:00 (America/Sao_Paulo)');
  });

  it('signs as Standard Webhooks documents it (their published test vector)', () => {
    // From the Standard Webhooks specification's reference libraries' tests.
    const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    const id = 'msg_p5jXN8AQM9LWM0D4loKWxJek';
    const ts = 1614265330;
    const body = '{"test": 2432232314}';
    expect(signWebhook(secret, id, ts, body)).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
    expect(
      verifyWebhook(
        secret,
        { 'webhook-id': id, 'webhook-timestamp': String(ts), 'webhook-signature': 'v1,bad v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=' },
        body,
        ts * 1000,
      ),
    ).toEqual({ ok: true });
    expect(
      verifyWebhook(
        secret,
        { 'webhook-id': id, 'webhook-timestamp': String(ts), 'webhook-signature': 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=' },
        body,
        (ts + 301) * 1000,
      ),
    ).toEqual({ ok: false, reason: 'timestamp too far from now' });
  });

  it('reads the notification settings, and names a bad one', () => {
    const c = loadConfig({ PUBLIC_URL: 'https://energia.example.com/', SMTP_URL: 'smtp://u:p@mail.example.com:587' });
    expect(c.notifications).toMatchObject({
      publicUrl: 'https://energia.example.com',
      smtpUrl: 'smtp://u:p@mail.example.com:587',
      telegramApiUrl: 'https://api.telegram.org',
      smsGatewayFormat: 'twilio',
      retryMinMs: 5000,
      retryMaxMs: 900000,
    });
    expect(() => loadConfig({ SMTP_URL: 'mail.example.com' })).toThrow(ConfigurationError);
    expect(() => loadConfig({ SMTP_URL: 'mail.example.com' })).toThrow(/SMTP_URL=\(value hidden\)/);
    expect(() => loadConfig({ SMS_GATEWAY_FORMAT: 'xml' })).toThrow(/SMS_GATEWAY_FORMAT/);
  });
});
