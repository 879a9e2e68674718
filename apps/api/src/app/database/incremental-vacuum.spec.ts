import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { loadConfig } from '../config/app-config';
import { dataSourceOptions } from './database.module';

/**
 * A new SQLite file must come out with auto_vacuum = INCREMENTAL (2), or retention can never give
 * space back. It used to be a race with TypeORM's `journal_mode = WAL` (CI once created a file
 * with 0): opened 12 times here, every file must say 2.
 */
describe('a new SQLite database file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pieng-vacuum-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is created with incremental auto-vacuum every time, before WAL is switched on', async () => {
    const modes: number[] = [];
    for (let i = 0; i < 12; i++) {
      const config = loadConfig({ DATABASE_URL: `sqlite:${join(dir, `v${i}.db`)}` }, dir, { requireSecretsKey: false });
      const source = new DataSource({ ...dataSourceOptions(config), migrationsRun: false, entities: [], migrations: [] });
      await source.initialize();
      await source.query('CREATE TABLE t (x INTEGER)');
      const [{ auto_vacuum }] = await source.query('PRAGMA auto_vacuum');
      const [{ journal_mode }] = await source.query('PRAGMA journal_mode');
      expect(journal_mode).toBe('wal');
      modes.push(Number(auto_vacuum));
      await source.destroy();
    }
    expect(modes).toEqual(Array(12).fill(2));
  });
});
