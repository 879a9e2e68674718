import type { IncomingMessage, ServerResponse } from 'node:http';
import { Logger as NestPinoLogger, Params, PinoLogger } from 'nestjs-pino';
import { storage } from 'nestjs-pino/storage';
import pino, { DestinationStream, Level, LevelWithSilent, Logger as Pino } from 'pino';
import type { Options as PinoHttpOptions } from 'pino-http';
import { prettyFactory } from 'pino-pretty';
import type { AppConfig } from '../config/app-config';
import { assignRequestId } from './request-id';

/** Nest's level names as pino's. */
const PINO_LEVEL: Record<AppConfig['logLevel'], Level> = { error: 'error', warn: 'warn', log: 'info', debug: 'debug', verbose: 'trace' };

/** Fields that never reach a log line, whoever logs them. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  'req.body',
  'body',
  'password',
  '*.password',
  'currentPassword',
  'newPassword',
  'accessToken',
  'refreshToken',
  '*.accessToken',
  '*.refreshToken',
];

/** Query parameters whose values are hidden in logged URLs. */
const SECRET_PARAM = /token|key|secret|pass|auth|signature/i;

/** The URL as logged: the path, and the query with the values of secret-looking parameters hidden. */
export function loggableUrl(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const params = new URLSearchParams(url.slice(q + 1));
  for (const key of [...params.keys()]) if (SECRET_PARAM.test(key)) params.set(key, '[redacted]');
  const query = params.toString();
  return query ? `${url.slice(0, q)}?${query}` : url.slice(0, q);
}

const pathOf = (req: IncomingMessage) => ((req as { originalUrl?: string }).originalUrl ?? req.url ?? '').split('?')[0];

/** Routes a monitor calls every few seconds: logged at debug, so that they do not flood the log. */
export function isQuietRoute(path: string, apiPrefix: string): boolean {
  const p = path.replace(/\/+$/, '');
  return p === `${apiPrefix}/health` || p.startsWith(`${apiPrefix}/health/`) || p === `${apiPrefix}/metrics/prometheus`;
}

/** stdout for a server; stderr for a one-shot command whose stdout is its result (main.js openapi). */
export type LogStream = 'stdout' | 'stderr';

/**
 * Where lines go: process.stdout (or stderr), looked up at each write, so that a test that
 * captures process.stdout.write sees them. Pretty format turns each JSON line into a readable
 * one, synchronously, in this thread (no worker transport: it must work from the webpack bundle).
 */
function destination(config: Pick<AppConfig, 'logFormat'>, stream: LogStream): DestinationStream {
  const out = (text: string) => void process[stream].write(text);
  if (config.logFormat !== 'pretty') return { write: out };
  const pretty = prettyFactory({
    colorize: process[stream].isTTY === true,
    translateTime: 'SYS:yyyy-mm-dd HH:MM:ss.l',
    ignore: 'pid,hostname,app,context,req,res,responseTime',
    messageFormat: '{if context}[{context}] {end}{msg}',
    singleLine: true,
  });
  return { write: (line: string) => out(pretty(line)) };
}

/** The application's root pino logger: JSON lines (level as a word, ISO time) or pretty lines. */
export function createPino(config: Pick<AppConfig, 'logLevel' | 'logFormat' | 'appName'>, stream: LogStream = 'stdout'): Pino {
  const json = config.logFormat !== 'pretty';
  return pino(
    {
      level: PINO_LEVEL[config.logLevel],
      base: { pid: process.pid, app: config.appName },
      timestamp: pino.stdTimeFunctions.isoTime,
      ...(json && { formatters: { level: (label: string) => ({ level: label }) } }),
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    },
    destination(config, stream),
  );
}

/** nestjs-pino / pino-http settings: request id, what a request line carries (never headers or bodies), its level. */
export function loggerParams(config: Pick<AppConfig, 'apiPrefix'>, root: Pino): Params {
  const pinoHttp: PinoHttpOptions = {
    logger: root,
    // Lines logged while serving a request carry {reqId}; the request-completed line also {req, res, responseTime}.
    quietReqLogger: true,
    genReqId: (req, res) => assignRequestId(req, res),
    serializers: {
      req: (req: { method?: string; url?: string; remoteAddress?: string }) => ({
        method: req.method,
        url: loggableUrl(req.url ?? ''),
        remoteAddress: req.remoteAddress,
      }),
      res: (res: { statusCode?: number }) => ({ statusCode: res.statusCode }),
    },
    customLogLevel: (req: IncomingMessage, res: ServerResponse, err?: Error): LevelWithSilent => {
      const quiet = isQuietRoute(pathOf(req), config.apiPrefix);
      // A bug (500) is an error; a meter or the database not answering (502-504) or a failing readiness probe is a warning.
      if (err || res.statusCode === 500) return quiet ? 'warn' : 'error';
      if (res.statusCode > 500) return 'warn';
      if (res.statusCode >= 400) return 'warn';
      return quiet ? 'debug' : 'info';
    },
    // pino-http invents an Error (with a stack) for every 5xx; the exception filter has already logged the real one.
    customErrorObject: (req: IncomingMessage, res: ServerResponse, err: Error, value: Record<string, unknown>) =>
      err.message === `failed with status code ${res.statusCode}` ? { res: value['res'], responseTime: value['responseTime'] } : value,
    customSuccessMessage: (req: IncomingMessage, res: ServerResponse, ms: number) =>
      `${req.method} ${loggableUrl((req as { originalUrl?: string }).originalUrl ?? req.url ?? '')} ${res.writableEnded ? res.statusCode : 'aborted'} ${ms} ms`,
    customErrorMessage: (req: IncomingMessage, res: ServerResponse) =>
      `${req.method} ${loggableUrl((req as { originalUrl?: string }).originalUrl ?? req.url ?? '')} ${res.statusCode} failed`,
  };
  return { pinoHttp, renameContext: 'context' };
}

/**
 * nestjs-pino keeps the logger of calls outside a request in a module-level variable, set
 * by the first application of the process. Tests start several applications in one process,
 * each with its own level, format and output, so this one returns its own root instead.
 * Inside a request, nestjs-pino's request logger (with the request id) is used, as usual.
 */
export class AppPinoLogger extends PinoLogger {
  constructor(
    params: Params,
    private readonly root: Pino,
  ) {
    super(params);
  }

  override get logger(): Pino {
    return storage.getStore()?.logger ?? this.root;
  }
}

/**
 * Nest's start-up lines (one per module and one per route, about a hundred) go to debug: at info
 * they pushed what an operator needs at start (the first admin's password, where the console is)
 * out of sight.
 */
const START_UP_CONTEXTS = new Set(['InstanceLoader', 'RoutesResolver', 'RouterExplorer']);

export class AppNestLogger extends NestPinoLogger {
  override log(message: unknown, ...optionalParams: unknown[]): void {
    const context = optionalParams[optionalParams.length - 1];
    if (typeof context === 'string' && START_UP_CONTEXTS.has(context)) return super.debug(message, ...optionalParams);
    return super.log(message, ...optionalParams);
  }
}

export interface AppLogging {
  root: Pino;
  params: Params;
  /** The Nest LoggerService every `new Logger('Context')` goes through. */
  logger: AppNestLogger;
}

/** One application's logging: its pino root, the nestjs-pino parameters and the Nest logger. */
export function createLogging(config: Pick<AppConfig, 'logLevel' | 'logFormat' | 'appName' | 'apiPrefix'>, stream: LogStream = 'stdout'): AppLogging {
  const root = createPino(config, stream);
  const params = loggerParams(config, root);
  return { root, params, logger: new AppNestLogger(new AppPinoLogger(params, root), params) };
}
