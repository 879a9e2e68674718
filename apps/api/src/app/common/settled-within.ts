/**
 * Waits for `work` to settle, at most `ms`: a shutdown hook must not hang on a database that no
 * longer answers (its connection closed or gone); whatever did not finish is abandoned.
 */
export async function settledWithin(work: Promise<unknown> | undefined, ms: number): Promise<void> {
  if (!work) return;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    work.then(
      () => undefined,
      () => undefined,
    ),
    new Promise<void>((r) => (timer = setTimeout(r, ms))),
  ]);
  clearTimeout(timer);
}
