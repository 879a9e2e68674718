import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
});
