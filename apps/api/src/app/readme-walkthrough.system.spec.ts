import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { API_MAIN, requireBuiltApi } from '../testing/api-process';
import { freePort } from '../testing/free-port';
import { waitFor } from '../testing/wait';

/** The README sections whose shell blocks a new user runs, in order, against a fresh install. */
const WALKTHROUGH = ['## First login, roles, client users and API keys', '## Use it with curl', '## Alarms', '## Sites and tariffs', '### MQTT meters'];

/** The ```sh blocks of those sections, in README order. */
function walkthroughBlocks(readme: string): string[] {
  const blocks: string[] = [];
  let section = '';
  let block: string[] | undefined;
  for (const line of readme.split('\n')) {
    if (block) {
      if (line === '```') {
        blocks.push(block.join('\n'));
        block = undefined;
      } else block.push(line);
    } else if (/^#{2,3} /.test(line)) section = line;
    else if (line === '```sh' && WALKTHROUGH.includes(section)) block = [];
  }
  return blocks;
}

describe('the README walkthrough', () => {
  let dir: string | undefined;
  let child: ReturnType<typeof spawn> | undefined;
  beforeAll(() => {
    requireBuiltApi();
    for (const tool of ['curl', 'jq']) {
      if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) throw new Error(`${tool} not found: apt-get install ${tool}`);
    }
  });
  afterAll(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child?.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('runs every curl block of its sections, in order, on a fresh install, each call answered 2xx', async () => {
    const readme = readFileSync(resolve(__dirname, '../../../../README.md'), 'utf8');
    const blocks = walkthroughBlocks(readme);
    expect(blocks.length).toBeGreaterThanOrEqual(5);

    // A fresh install as the README has it: the server started in a checkout, its database and the first admin's password in data/.
    const root = mkdtempSync(join(tmpdir(), 'pieng-readme-'));
    dir = root;
    mkdirSync(join(root, 'data'));
    const port = await freePort();
    const output: string[] = [];
    child = spawn(process.execPath, [API_MAIN], {
      cwd: root,
      env: { PATH: process.env['PATH'] ?? '', TZ: 'UTC', PORT: String(port), DATA_DIR: join(root, 'data'), LOG_LEVEL: 'warn', ENABLE_POLLING: 'false' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (b: Buffer) => output.push(b.toString()));
    child.stderr?.on('data', (b: Buffer) => output.push(b.toString()));
    await waitFor(
      'the server to answer /api/health',
      async () => (await fetch(`http://127.0.0.1:${port}/api/health`).catch(() => undefined))?.ok === true,
      30_000,
      250,
    );

    // The blocks as written, on this test's port. Each curl call must answer 2xx (--fail-with-body);
    // a live stream (-N) runs for two seconds. Any failing command stops the script (errexit).
    const script = [
      'set -euo pipefail',
      // A live stream must open (2xx, --fail-with-body) and then runs until --max-time cuts it (curl's 28).
      `curl() { case " $* " in *" -sN "*) command curl --fail-with-body --max-time 2 "$@" || [ $? -eq 28 ];; *) command curl --fail-with-body "$@";; esac; }`,
      ...blocks.map((b) => b.replaceAll('localhost:3000', `localhost:${port}`)),
    ].join('\n');
    const run = spawnSync('bash', ['-c', script], { cwd: root, encoding: 'utf8', timeout: 120_000 });
    if (run.status !== 0)
      throw new Error(
        `the README's blocks failed (exit ${run.status}):\n${run.stdout.slice(-3000)}\n${run.stderr.slice(-3000)}\nserver: ${output.join('').slice(-2000)}`,
      );
    // What the walkthrough claims, checked: the two readings stored, then the alarm raised and acknowledged.
    expect(run.stdout).toContain('{"readings":2,"stored":8,"duplicates":0,"alarmEvents":0,"alarmsCleared":0}');
    expect(run.stdout).toContain('"alarmEvents":1');
    expect(run.stdout).toMatch(/"acknowledged":true/);
  }, 180_000);
});
