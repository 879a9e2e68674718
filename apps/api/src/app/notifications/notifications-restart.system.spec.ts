import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { apiCall, ApiProcess, requireBuiltApi, startApiProcess, stopApiProcess } from '../../testing/api-process';
import { createPgDatabase, TEST_SECRETS_KEY, usesPostgres } from '../../testing/test-app';
import { waitFor } from '../../testing/wait';
import type { AlarmTransition } from '../alarms/alarm-transition';
import type { ClientsService } from '../clients/clients.service';
import { loadConfig } from '../config/app-config';
import { dataSourceOptions } from '../database/database.module';
import { Database } from '../database/database.service';
import { SecretBox } from '../secrets/secret-box';
import { resolveSecretsKey } from '../secrets/secrets-key';
import type { ChannelDelivery } from './channel-delivery';
import { NotificationChannelsService } from './notification-channels.service';
import { NotificationOutbox } from './notification-outbox';
import { startWebhookReceiver, transition } from './notification-test-kit';

/**
 * The built server as a real process, killed (SIGKILL) with deliveries queued and failing, then
 * started again on the same data: every queued notification arrives once, and what was delivered
 * before the kill is not sent again. Transitions are queued through NotificationOutbox.enqueue on a
 * connection of the test's own to the server's database, as the alarm model's transaction would.
 */
jest.setTimeout(180_000);

const ADMIN = { email: 'admin@notify.test', password: 'notify-password-1' };

describe('notification delivery across a killed server', () => {
  beforeAll(() => requireBuiltApi());

  let api: ApiProcess;
  let dropDb: (() => Promise<void>) | undefined;
  let dataSource: DataSource;
  let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
  let dataDir: string;

  afterAll(async () => {
    if (api) await stopApiProcess(api, 'SIGTERM');
    await dataSource?.destroy();
    await receiver?.close();
    await dropDb?.();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('delivers each queued notification exactly once after a SIGKILL and restart', async () => {
    receiver = await startWebhookReceiver();
    dataDir = mkdtempSync(join(tmpdir(), 'pieng-notify-'));
    const pg = usesPostgres() ? await createPgDatabase() : undefined;
    dropDb = pg?.drop;
    api = await startApiProcess({
      name: 'notify',
      dataDir,
      admin: ADMIN,
      withinMs: 90_000,
      env: { NOTIFICATION_RETRY_MIN_MS: '200', NOTIFICATION_RETRY_MAX_MS: '500', ...(pg && { DATABASE_URL: pg.url, SECRETS_KEY: TEST_SECRETS_KEY }) },
    });
    const client = await apiCall<{ id: number }>(api, 'POST', '/api/clients', { name: 'Client K' });
    const channel = await apiCall<{ id: number; secret: string }>(api, 'POST', '/api/notification-channels', {
      clientId: client.id,
      name: 'Hook',
      type: 'webhook',
      config: { url: receiver.url },
      on: ['raised', 'cleared'],
    });
    receiver.state.secret = channel.secret;

    // The test's own door to the same database, and the outbox on it.
    const config = loadConfig({ DATA_DIR: dataDir, ...(pg && { DATABASE_URL: pg.url, SECRETS_KEY: TEST_SECRETS_KEY }) });
    dataSource = new DataSource(dataSourceOptions(config));
    await dataSource.initialize();
    const db = new Database(dataSource);
    const channels = new NotificationChannelsService(
      db,
      new SecretBox(resolveSecretsKey(config)),
      undefined as unknown as ClientsService,
      undefined as unknown as ChannelDelivery,
    );
    const outbox = new NotificationOutbox(db, channels);
    const enqueue = (ts: AlarmTransition[]) => db.transaction((m) => outbox.enqueue(m, ts));
    const make = (eventId: number) => transition({ eventId, clientId: client.id, deviceId: null, deviceName: null, channelIds: [channel.id], at: Date.now() });
    const log = () => apiCall<Array<{ eventId: number; status: string; attempts: number }>>(api, 'GET', `/api/notifications?channelId=${channel.id}`);

    // Two go through before the kill.
    await enqueue([make(1), make(2)]);
    await waitFor('two delivered', async () => (await log()).filter((r) => r.status === 'delivered').length === 2);
    expect(receiver.state.accepted).toHaveLength(2);

    // The receiver goes down: five more queue up and fail, some more than once.
    receiver.state.answers = Array(10_000).fill(503);
    await enqueue([3, 4, 5, 6, 7].map(make));
    await waitFor('every queued one tried', async () => {
      const rows = await log();
      return rows.filter((r) => r.status === 'pending' && r.attempts >= 1).length === 5;
    });
    await stopApiProcess(api, 'SIGKILL');

    receiver.state.answers = [];
    api = await startApiProcess({ name: 'notify', dataDir, env: api.env, port: api.port, admin: ADMIN, withinMs: 90_000 });
    await waitFor('all seven delivered', async () => (await log()).filter((r) => r.status === 'delivered').length === 7, 30_000);
    // One more, sent by the restarted server: once it is through, the dispatcher has looked at the outbox again since.
    await enqueue([make(8)]);
    await waitFor('the eighth delivered', async () => (await log()).filter((r) => r.status === 'delivered').length === 8);
    const ids = receiver.state.accepted.map((h) => h.id);
    expect(ids).toHaveLength(8);
    expect(new Set(ids).size).toBe(8);
    expect(receiver.state.accepted.map((h) => (h.body['data'] as { eventId: number }).eventId).sort()).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(receiver.state.refused).toEqual([]);
  });
});
