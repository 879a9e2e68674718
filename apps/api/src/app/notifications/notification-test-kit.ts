import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import type { AlarmTransition } from '../alarms/alarm-transition';

/** Stand-ins for the targets notifications go to, on loopback, for the specs. */

async function listen(server: Server): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as AddressInfo).port;
}
const close = (server: Server) =>
  new Promise<void>((r) => {
    server.closeAllConnections();
    server.close(() => r());
  });

function readBody(req: import('node:http').IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => resolve(body));
    req.on('error', reject);
  });
}

export interface ReceivedMail {
  from: string;
  to: string[];
  subject: string;
  text: string;
  user?: string;
  attachments: Array<{ filename?: string; contentType: string; content: Buffer }>;
}

/**
 * An SMTP server (smtp-server) that takes one login and records every message, parsed (mailparser).
 * While `refusing` is set it answers every sender 451 (try again later), as a server out of space would.
 */
export async function startSmtpRecorder(credentials = { user: 'alarms', pass: 'smtp-pass-123' }) {
  const messages: ReceivedMail[] = [];
  const control = { refusing: false };
  const server = new SMTPServer({
    // Plain SMTP on loopback: nodemailer would try STARTTLS against a certificate it cannot trust.
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    onAuth(auth, _session, done) {
      if (auth.username === credentials.user && auth.password === credentials.pass) return done(null, { user: auth.username });
      return done(new Error('Invalid username or password'));
    },
    onMailFrom(_address, _session, done) {
      if (control.refusing) return done(Object.assign(new Error('Insufficient system storage, try again later'), { responseCode: 451 }));
      return done();
    },
    onData(stream, session, done) {
      simpleParser(stream)
        .then((mail) => {
          const to = Array.isArray(mail.to) ? mail.to.flatMap((a) => a.value) : (mail.to?.value ?? []);
          messages.push({
            from: mail.from?.text ?? '',
            to: to.map((a) => a.address ?? ''),
            subject: mail.subject ?? '',
            text: mail.text ?? '',
            user: session.user as string | undefined,
            attachments: mail.attachments.map((a) => ({ filename: a.filename, contentType: a.contentType, content: a.content })),
          });
          done();
        })
        .catch(done);
    },
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.server.address() as AddressInfo).port;
  return {
    messages,
    control,
    url: `smtp://${credentials.user}:${credentials.pass}@127.0.0.1:${port}`,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

export interface ReceivedHook {
  id: string;
  timestamp: number;
  body: Record<string, unknown>;
}

/**
 * A webhook receiver that checks what the Standard Webhooks convention documents, written out here on
 * its own (not with the server's code): HMAC-SHA256 keyed with the base64-decoded bytes after whsec_,
 * over "<id>.<timestamp>.<body>", as `v1,<base64>`; timestamps more than 5 minutes off are refused.
 * `answers` is consumed one status per request (then 200).
 */
export async function startWebhookReceiver() {
  const state = { secret: '', answers: [] as number[], accepted: [] as ReceivedHook[], refused: [] as string[], requests: 0 };
  const verify = (headers: IncomingHttpHeaders, body: string): string | null => {
    const id = String(headers['webhook-id'] ?? '');
    const ts = Number(headers['webhook-timestamp']);
    const sig = String(headers['webhook-signature'] ?? '');
    if (!id || !Number.isFinite(ts) || !sig) return 'missing headers';
    if (Math.abs(Date.now() / 1000 - ts) > 300) return 'timestamp more than 5 minutes off';
    const key = Buffer.from(state.secret.replace(/^whsec_/, ''), 'base64');
    const expected = createHmac('sha256', key).update(`${id}.${ts}.${body}`).digest();
    const ok = sig.split(' ').some((s) => {
      const [v, b64] = s.split(',');
      const given = Buffer.from(b64 ?? '', 'base64');
      return v === 'v1' && given.length === expected.length && timingSafeEqual(given, expected);
    });
    return ok ? null : 'bad signature';
  };
  const server = createServer(async (req, res) => {
    const body = await readBody(req);
    state.requests++;
    const problem = verify(req.headers, body);
    if (problem) {
      state.refused.push(problem);
      res.writeHead(401).end(problem);
      return;
    }
    const status = state.answers.shift() ?? 200;
    if (status === 200)
      state.accepted.push({ id: String(req.headers['webhook-id']), timestamp: Number(req.headers['webhook-timestamp']), body: JSON.parse(body) });
    res.writeHead(status, { 'content-type': 'text/plain' }).end(status === 200 ? 'ok' : `status ${status}`);
  });
  const port = await listen(server);
  return { state, url: `http://127.0.0.1:${port}/hooks/pieng`, close: () => close(server) };
}

/** A Telegram Bot API stand-in: sendMessage, answering 429 with retry_after `retryAfter` to the first `throttle` calls. */
export async function startTelegramStandIn(token: string, throttle = 1, retryAfter = 1) {
  const state = { calls: [] as Array<{ at: number; chatId: string; text: string; status: number }>, throttle };
  const server = createServer(async (req, res) => {
    const body = await readBody(req);
    const at = Date.now();
    if (req.url !== `/bot${token}/sendMessage`) {
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: false, error_code: 404, description: 'Not Found' }));
      return;
    }
    const { chat_id, text } = JSON.parse(body) as { chat_id: string; text: string };
    if (state.throttle > 0) {
      state.throttle--;
      state.calls.push({ at, chatId: String(chat_id), text, status: 429 });
      res
        .writeHead(429, { 'content-type': 'application/json' })
        .end(
          JSON.stringify({ ok: false, error_code: 429, description: `Too Many Requests: retry after ${retryAfter}`, parameters: { retry_after: retryAfter } }),
        );
      return;
    }
    state.calls.push({ at, chatId: String(chat_id), text, status: 200 });
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ ok: true, result: { message_id: state.calls.length, chat: { id: chat_id }, text } }));
  });
  const port = await listen(server);
  return { state, url: `http://127.0.0.1:${port}`, close: () => close(server) };
}

/**
 * An SMS gateway speaking Twilio's Messages API: POST /2010-04-01/Accounts/<sid>/Messages.json, a form
 * with To, From and Body, HTTP Basic auth sid:token; 201 with the message, 400/401 otherwise.
 */
export async function startTwilioStandIn(sid: string, authToken: string) {
  /** `failOnce`: numbers whose next message the gateway answers 503 (then takes). */
  const state = { messages: [] as Array<{ to: string; from: string; body: string }>, refused: [] as string[], failOnce: new Set<string>() };
  const server = createServer(async (req, res) => {
    const body = await readBody(req);
    const refuse = (status: number, why: string) => {
      state.refused.push(why);
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ code: 21602, message: why, status }));
    };
    if (req.method !== 'POST' || req.url !== `/2010-04-01/Accounts/${sid}/Messages.json`) return refuse(404, 'unknown resource');
    if (req.headers.authorization !== `Basic ${Buffer.from(`${sid}:${authToken}`).toString('base64')}`) return refuse(401, 'authenticate');
    if (!String(req.headers['content-type']).startsWith('application/x-www-form-urlencoded')) return refuse(400, 'not a form');
    const form = new URLSearchParams(body);
    const to = form.get('To');
    const from = form.get('From');
    const text = form.get('Body');
    if (!to || !/^\+\d{8,15}$/.test(to) || !from || !text) return refuse(400, 'To, From and Body are required');
    if (state.failOnce.delete(to)) return refuse(503, 'service unavailable');
    state.messages.push({ to, from, body: text });
    res
      .writeHead(201, { 'content-type': 'application/json' })
      .end(JSON.stringify({ sid: `SM${state.messages.length}`, to, from, body: text, status: 'queued' }));
  });
  const port = await listen(server);
  return { state, url: `http://127.0.0.1:${port}/2010-04-01/Accounts/${sid}/Messages.json`, close: () => close(server) };
}

let history = 1000;
/** A transition as the alarm model hands it over; fields overridable. */
export function transition(over: Partial<AlarmTransition> & Pick<AlarmTransition, 'eventId' | 'clientId' | 'channelIds'>): AlarmTransition {
  return {
    historyId: ++history,
    kind: 'raised',
    at: Date.UTC(2026, 10, 26, 8, 0, 0),
    ruleId: 1,
    ruleName: 'Overvoltage',
    deviceId: 1,
    deviceName: 'Meter A',
    severity: 'critical',
    metric: 'voltage',
    value: 245.5,
    unit: 'V',
    operator: '>',
    threshold: 242,
    escalationChannelId: null,
    escalateAfterMin: null,
    muted: false,
    ...over,
  };
}
