import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { captureStdout } from '../testing/capture-stdout';
import { runServer } from './server';

describe('runServer', () => {
  let dir: string;
  const lines: string[] = [];
  const io = { out: (l: string) => lines.push(l), err: (l: string) => lines.push(l) };
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'pieng-server-'));
    lines.length = 0;
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('stops with a message naming a bad variable', async () => {
    expect(await runServer([], { DATA_DIR: dir, PORT: 'eighty' }, io)).toBe(1);
    expect(lines.join('\n')).toMatch(/PORT="eighty"/);
    lines.length = 0;
    expect(await runServer([], { DATA_DIR: dir, DATABASE_URL: 'mysql://x' }, io)).toBe(1);
    expect(lines.join('\n')).toMatch(/DATABASE_URL/);
    lines.length = 0;
    expect(await runServer([], { DATA_DIR: dir, ENABLE_DEV_ENDPOINTS: 'yes' }, io)).toBe(1);
    expect(lines.join('\n')).toMatch(/ENABLE_DEV_ENDPOINTS/);
  });

  it('stops with a message naming the path when the database cannot be opened', async () => {
    // A directory where the database file should be: SQLite cannot open it.
    const path = join(dir, 'not-a-file.db');
    require('node:fs').mkdirSync(path);
    expect(await runServer([], { DATA_DIR: dir, DATABASE_URL: `sqlite:${path}`, LOG_LEVEL: 'error', PORT: '0' }, io)).toBe(1);
    expect(lines.join('\n')).toContain(path);
    expect(lines.join('\n')).toMatch(/could not be opened/);
  });

  it('reports a missing audit trail as broken', async () => {
    expect(await runServer(['audit-verify', join(dir, 'none.log')], { DATA_DIR: dir }, io)).toBe(1);
    expect(lines[0]).toMatch(/not found/);
  });

  it("says the first admin's password last at start, after where the console is, not above a hundred route lines", async () => {
    const { result: app, output } = await captureStdout(() => runServer([], { DATA_DIR: dir, PORT: '0', LOG_FORMAT: 'pretty', LOG_LEVEL: 'log' }, io));
    try {
      const shown = output.split('\n').filter((l) => l.trim());
      expect(shown.some((l) => l.includes('Mapped {'))).toBe(false);
      expect(shown.length).toBeLessThan(30);
      expect(shown[shown.length - 2]).toMatch(/is running: console http:\/\/localhost:\d+\//);
      expect(shown[shown.length - 1]).toMatch(/WARN: \[Bootstrap\] First start: created the admin account admin@pieng\.local with the password \S+ /);
    } finally {
      await (app as INestApplication).close();
    }
  });
});
