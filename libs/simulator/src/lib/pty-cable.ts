import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A serial cable for tests: a socat pty pair, one end (`a`) for the simulator, the other (`b`) for
 * the master. A pty ignores baud and timing: the simulator's `line` option puts the wire time back.
 */
export interface PtyCable {
  a: string;
  b: string;
  close(): Promise<void>;
}

export async function startPtyCable(): Promise<PtyCable> {
  const found = spawnSync('sh', ['-c', 'command -v socat'], { encoding: 'utf8' });
  const socat = found.stdout.trim();
  if (found.status !== 0 || !socat) throw new Error('socat not found: apt-get install socat');
  const dir = mkdtempSync(join(tmpdir(), 'pieng-pty-'));
  const a = join(dir, 'A');
  const b = join(dir, 'B');
  const child: ChildProcess = spawn(socat, ['-d', '-d', `pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`], { stdio: 'ignore' });
  for (let i = 0; i < 150 && !(existsSync(a) && existsSync(b)); i++) await new Promise((r) => setTimeout(r, 20));
  if (!(existsSync(a) && existsSync(b))) {
    child.kill('SIGKILL');
    throw new Error('socat did not create the pty links');
  }
  return {
    a,
    b,
    async close() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
