// Writes a Brotli (.br) and a gzip (.gz) copy beside each text file of the built console, once at
// build time, so the server sends them as they are (express-static-gzip) instead of compressing on
// every request: the first load moves about a quarter of the bytes and the server spends no CPU on it.
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

const COMPRESSIBLE = /\.(js|mjs|css|html|svg|json|txt|map|ico|webmanifest)$/;

export function precompress(dir) {
  let before = 0;
  let after = 0;
  for (const name of readdirSync(dir, { recursive: true })) {
    const path = join(dir, name);
    if (!COMPRESSIBLE.test(path) || !statSync(path).isFile()) continue;
    const body = readFileSync(path);
    const br = brotliCompressSync(body, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: body.length } });
    const gz = gzipSync(body, { level: 9 });
    // A copy that saves nothing is not written: the file itself is then sent.
    if (br.length < body.length) writeFileSync(`${path}.br`, br);
    if (gz.length < body.length) writeFileSync(`${path}.gz`, gz);
    before += body.length;
    after += Math.min(br.length, body.length);
  }
  return { before, after };
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const dir = process.argv[2] ?? 'dist/apps/web/browser';
  const { before, after } = precompress(dir);
  console.log(`console precompressed: ${(before / 1024).toFixed(0)} KiB of text files, ${(after / 1024).toFixed(0)} KiB with Brotli`);
}
