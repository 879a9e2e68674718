import type { NextFunction, Request, RequestHandler, Response } from 'express';
import expressStaticGzip from 'express-static-gzip';
import { existsSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { basename, extname, join } from 'node:path';

/** The built console: beside the bundled server (dist/apps/web/browser), or under the working directory. */
export function webConsoleRoot(): string | undefined {
  const candidates = [join(__dirname, '..', 'web', 'browser'), join(process.cwd(), 'dist', 'apps', 'web', 'browser')];
  return candidates.find((dir) => existsSync(join(dir, 'index.html')));
}

/** Angular's output names carry a hash of their content (main-SMTIKATX.js): a new build means a new name. */
const CONTENT_HASHED = /-[A-Z0-9]{8}\.(js|css|woff2?|svg|png|jpe?g|webp)$/;

/**
 * Content-hashed files never change, so the browser keeps them a year without asking again;
 * everything else (index.html above all, which names the current hashed files) is revalidated on
 * each load, so a new release is seen at once.
 */
export function cacheControlFor(path: string): string {
  const name = basename(path).replace(/\.(br|gz)$/, '');
  return CONTENT_HASHED.test(name) ? 'public, max-age=31536000, immutable' : 'no-cache';
}

/**
 * Serves the console: each file as Brotli or gzip when the browser takes it (the copies written at
 * build time by apps/web/scripts/precompress.mjs), with the caching above; any other GET of a path
 * without a file extension (a console route such as /devices/3, opened directly) gets index.html,
 * whose router shows that page. The API and the API documentation pass through untouched, without
 * a look at the disk.
 */
export function webConsoleFiles(root: string, apiPrefix: string): RequestHandler {
  const files = expressStaticGzip(root, {
    enableBrotli: true,
    orderPreference: ['br', 'gz'],
    index: 'index.html',
    serveStatic: { setHeaders: (res: ServerResponse, path: string) => res.setHeader('Cache-Control', cacheControlFor(path)) },
  });
  // Express matches routes without regard to case: /API/health is the API's, not the console's.
  const prefix = `/${apiPrefix.replace(/^\/|\/$/g, '')}`.toLowerCase();
  const passesThrough = (raw: string) => {
    const path = raw.toLowerCase();
    return path === prefix || path.startsWith(`${prefix}/`) || path === '/docs' || path.startsWith('/docs/') || path === '/docs-json' || path === '/docs-yaml';
  };
  return (req: Request, res: Response, next: NextFunction) => {
    if ((req.method !== 'GET' && req.method !== 'HEAD') || passesThrough(req.path)) return next();
    files(req, res, (err?: unknown) => {
      // A missing file (an old hashed chunk, a typo) is a 404, not the console.
      if (err || extname(req.path)) return next(err);
      req.url = '/index.html';
      files(req, res, next);
    });
  };
}
