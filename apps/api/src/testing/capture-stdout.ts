/** What fn writes to stdout (the server's log lines), kept from the terminal. */
export async function captureStdout<T>(fn: () => Promise<T>): Promise<{ result: T; output: string }> {
  const chunks: string[] = [];
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation((c: string | Uint8Array) => (chunks.push(String(c)), true));
  try {
    const result = await fn();
    return { result, output: chunks.join('') };
  } finally {
    spy.mockRestore();
  }
}
