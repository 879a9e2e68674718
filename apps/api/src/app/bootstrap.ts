import { INestApplication, LoggerService } from '@nestjs/common';
import { NestFactory, Reflector } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { AppModule } from './app.module';
import { AllExceptionsFilter } from './common/all-exceptions.filter';
import { closeConnectionWithUnreadBody, RequestBodyInterceptor } from './common/request-body';
import { createValidationPipe } from './common/validation';
import { AppConfig } from './config/app-config';
import { createLogging, LogStream } from './observability/logging';
import { PlantMetrics } from './observability/plant-metrics';
import { requestIdMiddleware } from './observability/request-id';
import { makeDataFilesPrivate } from './secrets/data-files';
import { webConsoleFiles, webConsoleRoot } from './web-console/web-console-files';

/** The Nest logger for lines outside an application (structured pino lines: JSON, or readable with LOG_FORMAT=pretty). */
export function createLogger(config: Pick<AppConfig, 'logLevel' | 'logFormat' | 'appName' | 'apiPrefix'>): LoggerService {
  return createLogging(config).logger;
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
  // Nothing in an answer should say which framework serves it.
  app.disable('x-powered-by');
  // The built console, when there is one (npm run build): compressed, cached, and index.html for its routes.
  const webRoot = webConsoleRoot();
  if (webRoot) app.use(webConsoleFiles(webRoot, config.apiPrefix));
  app.use(closeConnectionWithUnreadBody());
  app.use(requestIdMiddleware());
  app.use(app.get(PlantMetrics).httpMiddleware());
  app.setGlobalPrefix(config.apiPrefix, { exclude: ['/'] });
  // Bodies are read after the guard, by this interceptor: never for a caller the guard refuses.
  app.useGlobalInterceptors(new RequestBodyInterceptor(app.get(Reflector)));
  app.useGlobalPipes(createValidationPipe());
  app.useGlobalFilters(new AllExceptionsFilter());
  app.enableShutdownHooks();

  const document = buildOpenApiDocument(app, config);
  SwaggerModule.setup('docs', app, document, {
    jsonDocumentUrl: 'docs-json',
    customSiteTitle: `${config.appName} API`,
    // The token typed into Authorize survives a reload of the page (kept in the browser's local storage).
    swaggerOptions: { persistAuthorization: true },
  });
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
    .setDescription(
      'Energy metering: clients, devices, readings, analytics and alarms. Times are ISO-8601 UTC; values are in canonical units (V, A, W, Wh, Hz).',
    )
    .setVersion('1.0')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'accessToken from POST /api/auth/login' }, 'bearer')
    .addApiKey({ type: 'apiKey', in: 'header', name: 'X-API-Key', description: 'A client API key (POST /api/api-keys)' }, 'apiKey')
    .build();
}
