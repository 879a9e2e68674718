import { INestApplication, LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { json, NextFunction, Request, Response } from 'express';
import type { Logger as Pino } from 'pino';
import { AppModule } from './app.module';
import { AllExceptionsFilter } from './common/all-exceptions.filter';
import { createValidationPipe } from './common/validation';
import { AppConfig } from './config/app-config';
import { createLogging, loggableUrl, LogStream } from './observability/logging';
import { PlantMetrics } from './observability/plant-metrics';
import { requestIdMiddleware } from './observability/request-id';
import { makeDataFilesPrivate } from './secrets/data-files';

/** The Nest logger for lines outside an application (structured pino lines: JSON, or readable with LOG_FORMAT=pretty). */
export function createLogger(config: Pick<AppConfig, 'logLevel' | 'logFormat' | 'appName' | 'apiPrefix'>): LoggerService {
  return createLogging(config).logger;
}

export const MAX_BODY = '5mb';

/**
 * The JSON body parser, answering malformed and oversized bodies in the one error format. It runs
 * before the request logging, so it writes the request line of a body it refuses itself (without
 * the parser's message: it may quote the body).
 */
function jsonBody(log: Pino) {
  const parse = json({ limit: MAX_BODY });
  return (req: Request, res: Response, next: NextFunction) =>
    parse(req, res, (err?: { status?: number; type?: string; message?: string }) => {
      if (!err) return next();
      const statusCode = err.status ?? 400;
      const message =
        err.type === 'entity.too.large'
          ? `Request body is larger than ${MAX_BODY.toUpperCase()}; split the batch`
          : err.type === 'entity.parse.failed'
            ? `Malformed JSON: ${err.message}`
            : (err.message ?? 'Bad request body');
      res.status(statusCode).json({ statusCode, message });
      const why = err.type === 'entity.too.large' ? 'body too large' : err.type === 'entity.parse.failed' ? 'malformed JSON' : 'bad request body';
      const url = loggableUrl(req.originalUrl ?? req.url);
      log.warn({ reqId: (req as { id?: unknown }).id, req: { method: req.method, url }, res: { statusCode } }, `${req.method} ${url} ${statusCode} ${why}`);
    });
}

/** Builds the application exactly as production runs it; tests call this too. */
export async function createApp(config: AppConfig, options: { logStream?: LogStream } = {}): Promise<INestApplication> {
  // Before anything opens or writes a data file: they hold readings and secrets.
  const narrowed = makeDataFilesPrivate(config);
  // One pino logger per application: Nest's own lines, every `new Logger('Context')` and the request lines (nestjs-pino).
  const logging = createLogging(config, options.logStream);
  if (narrowed.length) logging.logger.log(`Data files made readable by this user only (mode 0600): ${narrowed.join(', ')}`, 'DataFiles');
  const app = await NestFactory.create<NestExpressApplication>(AppModule.register(config, logging), {
    bodyParser: false,
    logger: logging.logger,
    abortOnError: false,
  });
  // Before the body parser, so that every answer (a malformed body's too) carries X-Request-Id and is counted.
  app.use(requestIdMiddleware());
  app.use(app.get(PlantMetrics).httpMiddleware());
  app.use(jsonBody(logging.root));
  app.setGlobalPrefix(config.apiPrefix, { exclude: ['/'] });
  app.useGlobalPipes(createValidationPipe());
  app.useGlobalFilters(new AllExceptionsFilter());
  app.enableShutdownHooks();

  const document = buildOpenApiDocument(app, config);
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json', customSiteTitle: `${config.appName} API` });
  return app;
}

/** The OpenAPI document; operation ids are the controller methods' names (listDevices, not DevicesController_findAll). */
export function buildOpenApiDocument(app: INestApplication, config: Pick<AppConfig, 'appName'>) {
  const document = SwaggerModule.createDocument(app, openApiConfig(config), {
    operationIdFactory: (_controllerKey: string, methodKey: string) => methodKey,
  });
  // Every route but the @Public() ones needs a token or a key, and may answer 401/403: say so once, here.
  const errorBody = { content: { 'application/json': { schema: { $ref: '#/components/schemas/ErrorBody' } } } };
  for (const path of Object.values(document.paths)) {
    for (const op of Object.values(path) as Array<{ 'x-public'?: boolean; security?: unknown; responses?: Record<string, unknown> }>) {
      if (!op || typeof op !== 'object' || !('responses' in op)) continue;
      if (op['x-public']) {
        op.security = [];
        continue;
      }
      op.security = [{ bearer: [] }, { apiKey: [] }];
      op.responses = {
        ...op.responses,
        '401': op.responses?.['401'] ?? { description: 'Not logged in, or the token or API key is invalid', ...errorBody },
        '403': op.responses?.['403'] ?? { description: 'Your role or API key scope does not allow this', ...errorBody },
      };
    }
  }
  return document;
}

export function openApiConfig(config: Pick<AppConfig, 'appName'>) {
  return new DocumentBuilder()
    .setTitle(`${config.appName} API`)
    .setDescription('Energy metering: clients, devices, readings, analytics and alarms. Times are ISO-8601 UTC; values are in canonical units (V, A, W, Wh, Hz).')
    .setVersion('1.0')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'accessToken from POST /api/auth/login' }, 'bearer')
    .addApiKey({ type: 'apiKey', in: 'header', name: 'X-API-Key', description: 'A client API key (POST /api/api-keys)' }, 'apiKey')
    .build();
}
