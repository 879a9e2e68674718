import { seedDevice, startTestApp, TestApp } from '../../testing/test-app';

describe('clients and devices', () => {
  let t: TestApp;
  beforeAll(async () => (t = await startTestApp()));
  afterAll(() => t.close());

  it('creates, reads, updates and deletes a client', async () => {
    const created = await t.http.post('/api/clients').send({ name: 'Padaria Sol', externalId: 'CRM-1' }).expect(201);
    expect(created.body).toMatchObject({ name: 'Padaria Sol', externalId: 'CRM-1' });
    const id = created.body.id;
    await t.http.patch(`/api/clients/${id}`).send({ name: 'Padaria Sol Ltda' }).expect(200);
    expect((await t.http.get(`/api/clients/${id}`).expect(200)).body.name).toBe('Padaria Sol Ltda');
    const dup = await t.http.post('/api/clients').send({ name: 'Other', externalId: 'CRM-1' }).expect(409);
    expect(dup.body.message).toMatch(/CRM-1/);
    await t.http.delete(`/api/clients/${id}`).expect(204);
    await t.http.get(`/api/clients/${id}`).expect(404);
    await t.http.get('/api/clients/abc').expect(400);
  });

  it('refuses to delete a client that has devices (409)', async () => {
    const { clientId } = await seedDevice(t.http);
    const res = await t.http.delete(`/api/clients/${clientId}`).expect(409);
    expect(res.body.message).toMatch(/device/);
  });

  it('refuses to delete a client that still has users or API keys in use (409), and deletes its revoked keys with it', async () => {
    const client = await t.http.post('/api/clients').send({ name: 'Padaria Lua' }).expect(201);
    const id = client.body.id;
    const user = await t.http.post('/api/users').send({ email: 'lua@padaria.test', password: 'long-enough-1', role: 'viewer', clientId: id }).expect(201);
    expect((await t.http.delete(`/api/clients/${id}`).expect(409)).body.message).toBe(`Client ${id} still has 1 user(s); delete them first`);
    await t.http.delete(`/api/users/${user.body.id}`).expect(204);
    const key = await t.http.post('/api/api-keys').send({ name: 'Gateway', scope: 'ingest', clientId: id }).expect(201);
    expect((await t.http.delete(`/api/clients/${id}`).expect(409)).body.message).toBe(`Client ${id} still has 1 API key(s) not revoked; revoke them first`);
    await t.http.delete(`/api/api-keys/${key.body.id}`).expect(204);
    await t.http.delete(`/api/clients/${id}`).expect(204);
    await t.http.get(`/api/clients/${id}`).expect(404);
  });

  it('validates a device config per driver and names the field', async () => {
    const { clientId } = await seedDevice(t.http);
    const res = await t.http
      .post('/api/devices')
      .send({
        clientId,
        name: 'PZEM',
        deviceType: 'modbus',
        config: { transport: 'rtu', port: '/dev/ttyUSB0', baudRate: 9601, slaveId: 1, driver: 'pzem004t' },
      })
      .expect(400);
    expect(res.body.errors.map((e: { field: string }) => e.field)).toContain('config.baudRate');
    const ok = await t.http
      .post('/api/devices')
      .send({ clientId, name: 'SDM630', deviceType: 'modbus', config: { transport: 'tcp', host: '127.0.0.1', port: 502, unitId: 1, driver: 'sdm630' } })
      .expect(201);
    expect(ok.body).toMatchObject({ deviceType: 'modbus', pollIntervalSec: 30, active: true, status: 'unknown', consecutiveFailures: 0 });
    expect(ok.body.uid).toMatch(/^[0-9a-f-]{36}$/);
    const unknown = await t.http.post('/api/devices').send({ clientId, name: 'x', deviceType: 'api', colour: 'red' }).expect(400);
    expect(unknown.body.errors).toEqual([{ field: 'colour', message: 'is not a known field' }]);
    await t.http.post('/api/devices').send({ clientId: 9999, name: 'x', deviceType: 'api' }).expect(404);
  });

  it('never returns a Tuya secret, and keeps it when an update leaves it out', async () => {
    const { clientId } = await seedDevice(t.http);
    const config = { region: 'eu', accessId: 'abc123', accessSecret: 'very-secret-value', tuyaDeviceId: 'bf1234567890' };
    const created = await t.http.post('/api/devices').send({ clientId, name: 'Plug', deviceType: 'tuya', config }).expect(201);
    expect(JSON.stringify(created.body)).not.toContain('very-secret-value');
    expect(created.body.config.hasAccessSecret).toBe(true);
    const updated = await t.http
      .patch(`/api/devices/${created.body.id}`)
      .send({ config: { region: 'eu', accessId: 'abc123', tuyaDeviceId: 'bf999' } })
      .expect(200);
    expect(updated.body.config).toMatchObject({ tuyaDeviceId: 'bf999', hasAccessSecret: true });
    const listed = await t.http.get('/api/devices').query({ clientId }).expect(200);
    expect(JSON.stringify(listed.body)).not.toContain('very-secret-value');
  });

  it('keeps readings unless a delete asks to purge them', async () => {
    const { deviceId } = await seedDevice(t.http);
    await t.http
      .post('/api/ingest')
      .send({ readings: [{ deviceId, timestamp: '2026-11-26T10:00:00Z', metrics: { voltage: 230 } }] })
      .expect(200);
    const refused = await t.http.delete(`/api/devices/${deviceId}`).expect(409);
    expect(refused.body.message).toMatch(/purge=true/);
    await t.http.delete(`/api/devices/${deviceId}`).query({ purge: true }).expect(204);
    await t.http.get(`/api/devices/${deviceId}`).expect(404);
  });
});
