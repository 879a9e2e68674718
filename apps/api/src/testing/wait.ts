export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Polls until check() returns something other than undefined, null or false, or fails naming what it
 * waited for. A check that throws is tried again; its last error is in the failure.
 */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined | false | null>, timeoutMs = 20_000, everyMs = 100): Promise<T> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== null && value !== false) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > until) throw new Error(`not within ${timeoutMs} ms: ${what}${last ? ` (last error: ${(last as Error).message ?? String(last)})` : ''}`);
    await sleep(everyMs);
  }
}
