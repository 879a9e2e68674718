import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { startTuyaCloud, type RunningTuyaCloud } from '@pieng/simulator';
import { startTestApp, type TestApp } from '../../testing/test-app';

/*
 * Issue 11, items 1 and 5: a client's operator must not reach another client's Tuya plug with its
 * access id, nor use the server to probe the plant network. Everything here listens on loopback;
 * addresses outside it (10.x) are only saved, never read (ENABLE_POLLING is off in test apps).
 */

const TIMEOUT_MS = 300;

/** A TCP server that accepts connections and never answers: a port that is open but silent. */
async function silentServer(host: string): Promise<{ port: number; connections: () => number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  let count = 0;
  const server: Server = createServer((socket) => {
    count++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return {
    port: (server.address() as AddressInfo).port,
    connections: () => count,
    close: () =>
      new Promise<void>((resolve) => {
        sockets.forEach((s) => s.destroy());
        server.close(() => resolve());
      }),
  };
}

const count = async (t: TestApp, sql: string) => Number((await t.app.get(DataSource).query(sql))[0].n);

describe('Tuya accounts are never shared between clients (issue 11, item 1)', () => {
  let t: TestApp;
  let first: RunningTuyaCloud;
  let second: RunningTuyaCloud;
  let clientA: number;
  let clientB: number;
  const url = (cloud: RunningTuyaCloud) => `http://127.0.0.1:${cloud.port}`;
  const plug = (cloud: RunningTuyaCloud, accessId: string, accessSecret: string) => ({
    region: 'eu',
    endpoint: url(cloud),
    accessId,
    accessSecret,
    tuyaDeviceId: 'plugA',
  });
  const measurementsOf = (deviceId: number) => count(t, `SELECT COUNT(*) AS n FROM measurements WHERE device_id = ${Number(deviceId)}`);

  beforeAll(async () => {
    first = await startTuyaCloud({ port: 0, accessId: 'shared-access-1', accessSecret: 'a-right-secret-1', deviceIds: ['plugA'] });
    second = await startTuyaCloud({ port: 0, accessId: 'shared-access-2', accessSecret: 'a-right-secret-2', deviceIds: ['plugA'] });
    // Staff list the two local clouds so that client users may name them (they are not Tuya's data centres).
    t = await startTestApp({ TUYA_ALLOWED_ENDPOINTS: `${url(first)},${url(second)}` });
    clientA = (await t.http.post('/api/clients').send({ name: 'Client A' }).expect(201)).body.id;
    clientB = (await t.http.post('/api/clients').send({ name: 'Client B' }).expect(201)).body.id;
  });
  afterAll(async () => {
    await t?.close();
    await first?.close();
    await second?.close();
  });

  it("B's operator with A's access id and a wrong secret gets 502 and stores nothing, after A logged in", async () => {
    const [operatorA, operatorB] = [await t.userAgent('operator', clientA), await t.userAgent('operator', clientB)];
    const deviceA = (
      await operatorA
        .post('/api/devices')
        .send({ clientId: clientA, name: 'A plug', deviceType: 'tuya', config: plug(first, 'shared-access-1', 'a-right-secret-1') })
        .expect(201)
    ).body.id;
    const readA = await operatorA.post(`/api/devices/${deviceA}/poll`).expect(200);
    expect(readA.body.source).toBe('tuya');
    expect(readA.body.metrics.voltage).toBeGreaterThan(225);

    await operatorB
      .post('/api/devices/test-read')
      .send({ deviceType: 'tuya', config: plug(first, 'shared-access-1', 'any-guess') })
      .expect(502);
    const deviceB = (
      await operatorB
        .post('/api/devices')
        .send({ clientId: clientB, name: 'B plug', deviceType: 'tuya', config: plug(first, 'shared-access-1', 'any-guess') })
        .expect(201)
    ).body.id;
    await operatorB.post(`/api/devices/${deviceB}/poll`).expect(502);
    expect(await measurementsOf(deviceB)).toBe(0);

    await operatorA.post(`/api/devices/${deviceA}/poll`).expect(200);
    expect(await measurementsOf(deviceA)).toBeGreaterThan(0);
  });

  it("a wrong secret tried first does not lock A's right one out", async () => {
    const [operatorA, operatorB] = [await t.userAgent('operator', clientA), await t.userAgent('operator', clientB)];
    await operatorB
      .post('/api/devices/test-read')
      .send({ deviceType: 'tuya', config: plug(second, 'shared-access-2', 'any-guess') })
      .expect(502);
    const deviceB = (
      await operatorB
        .post('/api/devices')
        .send({ clientId: clientB, name: 'B plug 2', deviceType: 'tuya', config: plug(second, 'shared-access-2', 'any-guess') })
        .expect(201)
    ).body.id;
    await operatorB.post(`/api/devices/${deviceB}/poll`).expect(502);

    const deviceA = (
      await operatorA
        .post('/api/devices')
        .send({ clientId: clientA, name: 'A plug 2', deviceType: 'tuya', config: plug(second, 'shared-access-2', 'a-right-secret-2') })
        .expect(201)
    ).body.id;
    expect((await operatorA.post(`/api/devices/${deviceA}/poll`).expect(200)).body.source).toBe('tuya');
    await operatorA
      .post('/api/devices/test-read')
      .send({ deviceType: 'tuya', config: plug(second, 'shared-access-2', 'a-right-secret-2') })
      .expect(200);
    await operatorB.post(`/api/devices/${deviceB}/poll`).expect(502);
    expect(await measurementsOf(deviceB)).toBe(0);
  });
});

describe('the server is no probe into the plant network (issue 11, item 5)', () => {
  let t: TestApp;
  let ports: string;
  let clientId: number;
  let loopback: Awaited<ReturnType<typeof silentServer>>;
  let peer: HttpServer;
  let peerUrl: string;
  const PEER_TEXT = 'internal-service-banner-7f3a';
  const modbusTcp = (host: string, port: number) => ({ transport: 'tcp', host, port, unitId: 1, driver: 'pzem004t', timeoutMs: TIMEOUT_MS });

  beforeAll(async () => {
    ports = mkdtempSync(join(tmpdir(), 'pieng-ports-'));
    writeFileSync(join(ports, 'regular-file'), 'not a serial port');
    symlinkSync(join(ports, 'regular-file'), join(ports, 'link-to-file'));
    // Any HTTP service that is not Tuya: it answers everything with a message of its own.
    peer = createHttpServer((req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ success: false, code: 1106, msg: PEER_TEXT }));
    });
    await new Promise<void>((resolve) => peer.listen(0, '127.0.0.1', resolve));
    peerUrl = `http://127.0.0.1:${(peer.address() as AddressInfo).port}`;
    loopback = await silentServer('127.0.0.1');
    t = await startTestApp({
      // The default private ranges, plus one loopback address (127.0.0.2) as staff would add a network:
      // a link there is what a client user may reach, while 127.0.0.1 stays out of reach.
      MODBUS_ALLOWED_NETWORKS: '10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,fc00::/7,127.0.0.2/32',
      SERIAL_PORT_ALLOW: `/dev/ttyUSB*,/dev/ttyACM*,/dev/ttyS*,/dev/serial/by-id/*,/dev/ttyAMA*,${ports}/*`,
    });
    clientId = (await t.http.post('/api/clients').send({ name: 'Plant client' }).expect(201)).body.id;
  });
  afterAll(async () => {
    await t?.close();
    await loopback?.close();
    await new Promise((resolve) => peer?.close(resolve));
    rmSync(ports, { recursive: true, force: true });
  });

  it('answers a client user alike for a port that refuses and one that stays silent, in the answer, its delay and lastError', async () => {
    const operator = await t.userAgent('operator', clientId);
    const silent = await silentServer('127.0.0.2');
    const config = modbusTcp('127.0.0.2', silent.port);
    const device = (await t.http.post('/api/devices').send({ clientId, name: 'Gateway', deviceType: 'modbus', config }).expect(201)).body.id;
    const look = async () => {
      const started = Date.now();
      const read = await operator.post('/api/devices/test-read').send({ deviceType: 'modbus', config });
      const elapsedMs = Date.now() - started;
      const poll = await operator.post(`/api/devices/${device}/poll`);
      const seen = (await operator.get(`/api/devices/${device}`).expect(200)).body;
      const staffSeen = (await t.http.get(`/api/devices/${device}`).expect(200)).body;
      return {
        read: { status: read.status, body: read.body },
        poll: { status: poll.status, body: poll.body },
        lastError: seen.lastError,
        status: seen.status,
        elapsedMs,
        staffError: staffSeen.lastError as string,
      };
    };

    const whileSilent = await look();
    expect(silent.connections()).toBeGreaterThan(0);
    await silent.close();
    const whenRefused = await look();

    const expected = { statusCode: 504, message: `the meter at 127.0.0.2:${silent.port} did not answer` };
    expect(whileSilent.read).toEqual({ status: 504, body: expected });
    expect(whenRefused.read).toEqual(whileSilent.read);
    expect(whenRefused.poll).toEqual(whileSilent.poll);
    expect(whileSilent.poll.status).toBe(504);
    expect(whileSilent.lastError).toBe(expected.message);
    expect(whenRefused.lastError).toBe(whileSilent.lastError);
    expect(whenRefused.status).toBe(whileSilent.status);
    // A refused connect fails at once; the answer waits out the meter's timeout like a silent one.
    expect(whenRefused.elapsedMs).toBeGreaterThanOrEqual(TIMEOUT_MS - 20);
    // Platform staff keep the detailed story.
    expect(whileSilent.staffError).toContain(`did not answer within ${TIMEOUT_MS} ms`);
    expect(whenRefused.staffError).toContain('connection refused');
    const staffRead = await t.http.post('/api/devices/test-read').send({ deviceType: 'modbus', config }).expect(502);
    expect(staffRead.body.message).toContain('connection refused');
  });

  it('refuses 127.0.0.1 and names resolving to it for a client user (400 naming config.host) without connecting', async () => {
    const operator = await t.userAgent('operator', clientId);
    const before = loopback.connections();
    for (const host of ['127.0.0.1', 'localhost', '::ffff:127.0.0.1']) {
      const read = await operator
        .post('/api/devices/test-read')
        .send({ deviceType: 'modbus', config: modbusTcp(host, loopback.port) })
        .expect(400);
      expect(read.body.errors).toEqual([{ field: 'config.host', message: expect.stringContaining('outside the networks users of a client may reach') }]);
      await operator
        .post('/api/devices')
        .send({ clientId, name: 'Probe', deviceType: 'modbus', config: modbusTcp(host, loopback.port) })
        .expect(400);
    }
    const rtuTcp = { ...modbusTcp('127.0.0.1', loopback.port), transport: 'rtu-tcp', slaveId: 1, unitId: undefined };
    expect((await operator.post('/api/devices/test-read').send({ deviceType: 'modbus', config: rtuTcp }).expect(400)).body.errors[0].field).toBe('config.host');
    // A plant address is fine to save (it is not read here).
    const own = (
      await operator
        .post('/api/devices')
        .send({ clientId, name: 'Panel', deviceType: 'modbus', config: modbusTcp('10.1.2.3', 502) })
        .expect(201)
    ).body;
    const moved = await operator
      .patch(`/api/devices/${own.id}`)
      .send({ config: modbusTcp('127.0.0.1', loopback.port) })
      .expect(400);
    expect(moved.body.errors[0].field).toBe('config.host');
    expect(loopback.connections()).toBe(before);
  });

  it('lets platform staff set a device up on 127.0.0.1 for a client, and the client user rename and read it', async () => {
    const operator = await t.userAgent('operator', clientId);
    // A server of its own: a connection counted here was made by this test's reads.
    const meter = await silentServer('127.0.0.1');
    const config = modbusTcp('127.0.0.1', meter.port);
    const id = (await t.http.post('/api/devices').send({ clientId, name: 'Simulator', deviceType: 'modbus', config }).expect(201)).body.id;
    // The console's form sends the whole config back with a new name or interval: unchanged connection settings stay staff's.
    await operator.patch(`/api/devices/${id}`).send({ name: 'Simulator (renamed)' }).expect(200);
    const updated = await operator
      .patch(`/api/devices/${id}`)
      .send({ pollIntervalSec: 60, config: { ...config, timeoutMs: TIMEOUT_MS + 100 } })
      .expect(200);
    expect(updated.body).toMatchObject({ name: 'Simulator (renamed)', pollIntervalSec: 60, config: { host: '127.0.0.1', timeoutMs: TIMEOUT_MS + 100 } });
    // Reading it reaches it (the silent server counts the connection), for the device and for a test read of its settings.
    await operator.post(`/api/devices/${id}/poll`).expect(504);
    await operator.post('/api/devices/test-read').send({ deviceType: 'modbus', config, deviceId: id }).expect(504);
    expect(meter.connections()).toBeGreaterThan(0);
    await meter.close();
  });

  it('refuses /etc/shadow, a link to a regular file and a missing path alike (400 naming config.port), for everyone', async () => {
    const operator = await t.userAgent('operator', clientId);
    const rtu = (port: string) => ({ transport: 'rtu', port, slaveId: 1, driver: 'pzem004t', timeoutMs: TIMEOUT_MS });
    const paths = ['/etc/shadow', join(ports, 'link-to-file'), join(ports, 'regular-file'), join(ports, 'missing'), '/dev/ttyUSB-not-plugged-in'];
    for (const agent of [operator, t.http]) {
      const answers = [];
      for (const port of paths) {
        const read = await agent.post('/api/devices/test-read').send({ deviceType: 'modbus', config: rtu(port) });
        const created = await agent.post('/api/devices').send({ clientId, name: 'Serial', deviceType: 'modbus', config: rtu(port) });
        expect(created.status).toBe(400);
        expect(created.body.errors).toEqual(read.body.errors);
        answers.push({ status: read.status, body: read.body });
      }
      expect(answers[0].status).toBe(400);
      expect(answers[0].body.errors).toEqual([{ field: 'config.port', message: expect.stringMatching(/^config\.port is not a serial port on this server/) }]);
      for (const answer of answers) expect(answer).toEqual(answers[0]);
    }
  });

  it("keeps a client user to Tuya's data centres, and never shows them a non-Tuya peer's words", async () => {
    const operator = await t.userAgent('operator', clientId);
    const tuya = (endpoint?: string) => ({ region: 'eu', accessId: 'id', accessSecret: 'secret', tuyaDeviceId: 'plug', ...(endpoint && { endpoint }) });
    for (const endpoint of [peerUrl, 'http://169.254.169.254/latest/meta-data', 'https://openapi.tuyaeu.com.example.net']) {
      const read = await operator
        .post('/api/devices/test-read')
        .send({ deviceType: 'tuya', config: tuya(endpoint) })
        .expect(400);
      expect(read.body.errors).toEqual([{ field: 'config.endpoint', message: expect.stringContaining("must be one of Tuya's data centres") }]);
      await operator
        .post('/api/devices')
        .send({ clientId, name: 'Plug', deviceType: 'tuya', config: tuya(endpoint) })
        .expect(400);
    }
    // Tuya's own data centres can be saved (not read here: there is no internet).
    await operator.post('/api/devices').send({ clientId, name: 'Plug EU', deviceType: 'tuya', config: tuya() }).expect(201);
    await operator
      .post('/api/devices')
      .send({ clientId, name: 'Plug US', deviceType: 'tuya', config: tuya('https://openapi.tuyaus.com') })
      .expect(201);

    // Staff may point a device at a local endpoint; its words reach staff only.
    const id = (
      await t.http
        .post('/api/devices')
        .send({ clientId, name: 'Local plug', deviceType: 'tuya', config: tuya(peerUrl) })
        .expect(201)
    ).body.id;
    const staffTest = await t.http
      .post('/api/devices/test-read')
      .send({ deviceType: 'tuya', config: tuya(peerUrl) })
      .expect(502);
    expect(staffTest.body.message).toContain(PEER_TEXT);
    const polled = await operator.post(`/api/devices/${id}/poll`).expect(502);
    expect(polled.body.message).toContain('code 1106');
    expect(JSON.stringify(polled.body)).not.toContain(PEER_TEXT);
    const tested = await operator
      .post('/api/devices/test-read')
      .send({ deviceType: 'tuya', config: tuya(peerUrl), deviceId: id })
      .expect(502);
    expect(JSON.stringify(tested.body)).not.toContain(PEER_TEXT);
    const seen = (await operator.get(`/api/devices/${id}`).expect(200)).body;
    expect(seen.lastError).toContain('code 1106');
    expect(seen.lastError).not.toContain(PEER_TEXT);
    expect(JSON.stringify((await operator.get('/api/devices').expect(200)).body)).not.toContain(PEER_TEXT);
    expect((await t.http.get(`/api/devices/${id}`).expect(200)).body.lastError).toContain(PEER_TEXT);
  });
});
