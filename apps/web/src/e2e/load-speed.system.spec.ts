/**
 * @jest-environment node
 */
import type { Browser, CDPSession } from 'playwright-core';
import { launchChromium, RunningApi, startApi } from './e2e-server';

jest.setTimeout(120_000);

interface Fetched {
  url: string;
  fromCache: boolean;
  encodedBytes: number;
  decodedBytes: number;
}

/** Every request of the page as the browser's network panel sees it: bytes on the wire, bytes after decoding, and whether the cache answered. */
function recordNetwork(cdp: CDPSession): () => Fetched[] {
  const byId = new Map<string, Fetched>();
  // Chromium says "served from cache" before it hands over the response.
  const cached = new Set<string>();
  cdp.on('Network.requestServedFromCache', (e) => cached.add(e.requestId));
  cdp.on('Network.responseReceived', (e) =>
    byId.set(e.requestId, {
      url: e.response.url,
      fromCache: cached.has(e.requestId) || Boolean(e.response.fromDiskCache || e.response.fromPrefetchCache),
      encodedBytes: 0,
      decodedBytes: 0,
    }),
  );
  cdp.on('Network.dataReceived', (e) => {
    const f = byId.get(e.requestId);
    if (f) f.decodedBytes += e.dataLength;
  });
  cdp.on('Network.loadingFinished', (e) => {
    const f = byId.get(e.requestId);
    if (f) f.encodedBytes = e.encodedDataLength;
  });
  return () => {
    const all = [...byId.values()];
    byId.clear();
    cached.clear();
    return all;
  };
}

const HASHED = /-[A-Z0-9]{8}\.(js|css)$/;
const kib = (n: number) => `${(n / 1024).toFixed(0)} KiB`;

describe('the console loads fast', () => {
  let api: RunningApi;
  let browser: Browser;
  beforeAll(async () => {
    api = await startApi();
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await api?.stop();
  });

  it('sends its scripts compressed on the first load and takes them from the cache on a reload', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.enable');
    const taken = recordNetwork(cdp);

    let started = Date.now();
    await page.goto(`${api.base}/login`);
    await page.getByLabel('E-mail').waitFor();
    const firstMs = Date.now() - started;
    const first = taken().filter((f) => HASHED.test(new URL(f.url).pathname));
    const firstWire = first.reduce((a, f) => a + f.encodedBytes, 0);
    const firstDecoded = first.reduce((a, f) => a + f.decodedBytes, 0);

    started = Date.now();
    await page.reload();
    await page.getByLabel('E-mail').waitFor();
    const reloadMs = Date.now() - started;
    const again = taken();
    const reloadedFromNetwork = again.filter((f) => HASHED.test(new URL(f.url).pathname) && !f.fromCache);
    const reloadWire = again.reduce((a, f) => a + (f.fromCache ? 0 : f.encodedBytes), 0);

    console.log(
      `console load: first ${firstMs} ms, ${first.length} scripts and styles, ${kib(firstWire)} on the wire for ${kib(firstDecoded)} of code; ` +
        `reload ${reloadMs} ms, ${kib(reloadWire)} on the wire (${again.length} requests, ${reloadedFromNetwork.length} hashed files fetched again)`,
    );
    expect(first.length).toBeGreaterThan(0);
    // Brotli at build time: the scripts travel at well under half their size (about a quarter).
    expect(firstWire).toBeLessThan(firstDecoded * 0.4);
    // immutable, one year: a reload asks again only for index.html, never for a hashed file.
    expect(reloadedFromNetwork).toEqual([]);
    expect(reloadWire).toBeLessThan(firstWire / 5);
    await context.close();
  });
});
