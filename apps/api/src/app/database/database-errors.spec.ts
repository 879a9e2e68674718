import { QueryFailedError } from 'typeorm';
import { MeterUnreachableError } from '../common/domain-errors';
import { databaseUnavailable } from './database-errors';

/** Which errors mean "the database is not available now" (503 with Retry-After) and which do not. */
describe('databaseUnavailable', () => {
  const pgError = (code: string, message: string) => Object.assign(new Error(message), { code, severity: 'FATAL' });

  it.each([
    ['PostgreSQL shutting down (57P01)', pgError('57P01', 'terminating connection due to administrator command')],
    ['PostgreSQL starting up (57P03)', pgError('57P03', 'the database system is starting up')],
    ['a connection failure (08006) inside a query', new QueryFailedError('SELECT 1', [], pgError('08006', 'connection failure'))],
    ['connection refused', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' })],
    ['a connection cut by the server', new Error('Connection terminated unexpectedly')],
    ['a database refusing connections', pgError('55000', 'database "plant" is not currently accepting connections')],
  ])('%s: 503, not reachable, retry in 5 s', (_, err) => {
    expect(databaseUnavailable(err)).toMatchObject({ statusCode: 503, message: 'The database is not reachable; retry shortly', retryAfterSec: 5 });
  });

  it('SQLite locked by another program past the busy timeout: 503, locked', () => {
    const err = new QueryFailedError('INSERT ...', [], Object.assign(new Error('SQLITE_BUSY: database is locked'), { code: 'SQLITE_BUSY', errno: 5 }));
    expect(databaseUnavailable(err)).toMatchObject({ statusCode: 503, message: 'The database is locked by another program; retry shortly', retryAfterSec: 5 });
  });

  it.each([
    ['a unique violation', new QueryFailedError('INSERT ...', [], pgError('23505', 'duplicate key value violates unique constraint'))],
    ['a syntax error', new QueryFailedError('SELEC 1', [], pgError('42601', 'syntax error at or near "SELEC"'))],
    ["a meter's link, whatever its words", new MeterUnreachableError('connection timeout: ECONNREFUSED on 10.0.0.5:502')],
    ['something that is not an Error', 'Connection terminated'],
  ])('%s: not the database being unavailable', (_, err) => {
    expect(databaseUnavailable(err)).toBeUndefined();
  });
});
