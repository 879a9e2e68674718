import { execFileSync } from 'node:child_process';
import express from 'express';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { cacheControlFor, webConsoleFiles } from './web-console-files';

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** A raw GET: the body as it came over the wire (still compressed), unlike fetch(). */
function get(port: number, path: string, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((done, fail) => {
    http
      .get({ host: '127.0.0.1', port, path, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => done({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      })
      .on('error', fail);
  });
}

describe('the console files', () => {
  let root: string;
  let server: http.Server;
  let port: number;
  const script = 'console.log("the console");\n'.repeat(2000);
  const index = '<!doctype html><html><head><script src="main-SMTIKATX.js" type="module"></script></head><body><app-root></app-root></body></html>';

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'pieng-web-'));
    writeFileSync(join(root, 'index.html'), index);
    writeFileSync(join(root, 'main-SMTIKATX.js'), script);
    writeFileSync(join(root, 'logo.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47]));
    // The build step itself, as npm run build runs it.
    execFileSync(process.execPath, [resolve(__dirname, '../../../../web/scripts/precompress.mjs'), root]);
    const app = express();
    app.use(webConsoleFiles(root, '/api'));
    app.get('/api/health', (_req, res) => res.json({ status: 'ok' }));
    app.get('/docs-yaml', (_req, res) => res.type('text/yaml').send('openapi: 3.0.0'));
    app.use((_req, res) => res.status(404).send('not found'));
    server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise((r) => server.close(r));
    rmSync(root, { recursive: true, force: true });
  });

  it('writes a Brotli and a gzip copy of each text file at build time, and none of a tiny binary', () => {
    expect(brotliDecompressSync(readFileSync(join(root, 'main-SMTIKATX.js.br'))).toString()).toBe(script);
    expect(gunzipSync(readFileSync(join(root, 'index.html.gz'))).toString()).toBe(index);
    expect(() => readFileSync(join(root, 'logo.png.br'))).toThrow();
  });

  it('sends Brotli to a browser that takes it, gzip to one that takes only gzip, the file itself otherwise', async () => {
    const br = await get(port, '/main-SMTIKATX.js', { 'accept-encoding': 'gzip, deflate, br, zstd' });
    expect([br.status, br.headers['content-encoding'], br.headers['content-type']]).toEqual([200, 'br', 'text/javascript; charset=UTF-8']);
    expect(brotliDecompressSync(br.body).toString()).toBe(script);
    expect(br.body.length).toBeLessThan(script.length / 20);
    expect(br.headers['vary']).toMatch(/Accept-Encoding/i);

    const gz = await get(port, '/main-SMTIKATX.js', { 'accept-encoding': 'gzip' });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(gz.body).toString()).toBe(script);

    const plain = await get(port, '/main-SMTIKATX.js');
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.body.toString()).toBe(script);
  });

  it('lets the browser keep content-hashed files a year and revalidate index.html on every load', async () => {
    expect((await get(port, '/main-SMTIKATX.js', { 'accept-encoding': 'br' })).headers['cache-control']).toBe('public, max-age=31536000, immutable');
    const page = await get(port, '/', { 'accept-encoding': 'br' });
    expect([page.headers['cache-control'], brotliDecompressSync(page.body).toString()]).toEqual(['no-cache', index]);
    expect(cacheControlFor('/srv/web/styles-NG5E5PLY.css.gz')).toBe('public, max-age=31536000, immutable');
    expect(cacheControlFor('/srv/web/favicon.ico')).toBe('no-cache');
  });

  it('answers a console route with index.html, a missing file with 404, and leaves the API alone', async () => {
    const route = await get(port, '/devices/3');
    expect([route.status, route.headers['cache-control'], route.body.toString()]).toEqual([200, 'no-cache', index]);
    expect((await get(port, '/main-OLDCHUNK.js')).status).toBe(404);
    const api = await get(port, '/api/health');
    expect([api.status, api.body.toString()]).toEqual([200, '{"status":"ok"}']);
    expect((await get(port, '/api/nothing-here')).body.toString()).toBe('not found');
    // Express routes ignore case, and Swagger also serves /docs-yaml: neither is the console's.
    expect((await get(port, '/API/health')).body.toString()).toBe('{"status":"ok"}');
    expect((await get(port, '/docs-yaml')).body.toString()).toBe('openapi: 3.0.0');
  });
});
