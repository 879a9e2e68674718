import { createPgDatabase, startTestApp, TestApp } from '../../testing/test-app';
import { waitFor } from '../../testing/wait';
import { AlarmTimer } from '../alarms/alarm-timer';
import { NotificationDispatcher } from '../notifications/notification-dispatcher';
import { AlarmsLease } from './alarms-lease';

/**
 * Two instances on one PostgreSQL database (a SQLite file belongs to one instance: leases found there
 * at start are released, see LeaseStore): one holds the `alarms` lease, and only it runs the alarm timers and
 * sends notifications; when it stops, it hands the lease back only after both jobs stopped, and the
 * other takes over.
 */
describe('the alarms lease across instances', () => {
  let one: TestApp;
  let two: TestApp;
  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    const pg = await createPgDatabase();
    const url = pg.url;
    cleanup = pg.drop;
    one = await startTestApp({ DATABASE_URL: url });
    two = await startTestApp({ DATABASE_URL: url });
  }, 60_000);
  afterAll(async () => {
    await two?.close();
    await one?.close();
    await cleanup?.();
  }, 30_000);

  it('lets only its holder run the timers and send, and hands over when the holder stops', async () => {
    const [holder, other] = await waitFor('one instance to hold the alarms lease', async () =>
      one.app.get(AlarmsLease).held ? [one, two] : two.app.get(AlarmsLease).held ? [two, one] : undefined,
    );
    expect(await other.app.get(AlarmTimer).tick(Date.now())).toBeNull();
    expect(other.app.get(NotificationDispatcher).holdsLease).toBe(false);
    expect(await holder.app.get(AlarmTimer).tick(Date.now())).toBe(0);
    expect(holder.app.get(NotificationDispatcher).holdsLease).toBe(true);

    await holder.close();
    // Handed back at shutdown: the other takes it at its next renewal (every second), not after expiry.
    await waitFor('the other to take the alarms lease', async () => other.app.get(AlarmsLease).held, 3_000);
    expect(other.app.get(NotificationDispatcher).holdsLease).toBe(true);
    expect(await other.app.get(AlarmTimer).tick(Date.now())).toBe(0);
  });
});
