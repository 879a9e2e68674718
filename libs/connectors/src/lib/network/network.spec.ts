import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSimulator, type RunningSimulator } from '@pieng/simulator';
import { validateDeviceConfig } from '../config/validate-device-config';
import { FieldBusError } from '../errors';
import { FieldBus } from '../field-bus';
import { NetworkList, isPublicAddress, type HostLookup } from './network-list';
import { OutboundTargets } from './outbound-target';
import { DEFAULT_PLANT_NETWORK_POLICY, PlantNetwork } from './plant-network';

/*
 * No test here sends a packet anywhere but loopback: addresses outside it (10.x, 203.0.113.x, a
 * documentation range) are only ever checked, never connected to.
 */

/** A resolver that knows only the names a test gives it. */
const fakeLookup =
  (names: Record<string, string[]>): HostLookup =>
  async (host) => {
    if (names[host]) return names[host];
    if (/^[\d.]+$|:/.test(host)) return [host];
    throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
  };

const modbus = (config: Record<string, unknown>) => {
  const result = validateDeviceConfig('modbus', { driver: 'pzem004t', timeoutMs: 300, ...config });
  if (!result.config) throw new Error(JSON.stringify(result.errors));
  return result.config;
};
const tuya = (endpoint?: string) => {
  const result = validateDeviceConfig('tuya', { region: 'eu', accessId: 'id', accessSecret: 'secret', tuyaDeviceId: 'plug', ...(endpoint && { endpoint }) });
  if (!result.config) throw new Error(JSON.stringify(result.errors));
  return result.config;
};
const client = { staff: false };
const staff = { staff: true };

describe('NetworkList', () => {
  it('parses CIDR blocks and single addresses, and names what is neither', () => {
    expect(NetworkList.invalidEntries(['10.0.0.0/8', '192.168.1.7', 'fd00::/8', '::1'])).toEqual([]);
    expect(NetworkList.invalidEntries(['10.0.0.0/33', '300.1.1.1/8', 'plant.local', '10.0.0.0/', 'fd00::/129'])).toEqual([
      '10.0.0.0/33',
      '300.1.1.1/8',
      'plant.local',
      '10.0.0.0/',
      'fd00::/129',
    ]);
    expect(() => NetworkList.of(['10.0.0.0/8', 'nonsense'])).toThrow('not an IP address or CIDR block: nonsense');
  });

  it('matches IPv4, IPv6 and IPv4-mapped IPv6 addresses', () => {
    const list = NetworkList.of(['10.0.0.0/8', '192.168.1.7', 'fd00::/8']);
    expect(list.contains('10.255.0.1')).toBe(true);
    expect(list.contains('11.0.0.1')).toBe(false);
    expect(list.contains('192.168.1.7')).toBe(true);
    expect(list.contains('192.168.1.8')).toBe(false);
    expect(list.contains('fd12::5')).toBe(true);
    expect(list.contains('fe80::1')).toBe(false);
    expect(list.contains('::ffff:10.1.2.3')).toBe(true);
    expect(list.contains('not-an-address')).toBe(false);
  });

  it('tells public addresses from loopback, private, link-local and mapped ones', () => {
    for (const address of ['203.0.113.7', '8.8.8.8', '2001:4860:4860::8888']) expect(isPublicAddress(address)).toBe(true);
    for (const address of [
      '127.0.0.1',
      '10.1.1.1',
      '172.16.0.1',
      '192.168.0.1',
      '169.254.169.254',
      '100.64.0.1',
      '0.0.0.0',
      '::1',
      '::',
      'fe80::1',
      'fd00::1',
      '::ffff:127.0.0.1',
      '224.0.0.1',
    ]) {
      expect(isPublicAddress(address)).toBe(false);
    }
  });
});

describe('PlantNetwork: what a device of a client user may reach', () => {
  let dir: string;
  let shadowLike: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'pieng-ports-'));
    shadowLike = join(dir, 'secret-file');
    writeFileSync(shadowLike, 'not a serial port');
    symlinkSync(shadowLike, join(dir, 'link-to-file'));
    symlinkSync('/dev/null', join(dir, 'link-to-char-device'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const lookup = fakeLookup({ 'meter.plant': ['10.0.0.5'], 'rebind.example': ['10.0.0.5', '127.0.0.1'], localhost: ['127.0.0.1', '::1'] });
  const policy = new PlantNetwork(DEFAULT_PLANT_NETWORK_POLICY, lookup);

  it('lets a client user reach Modbus hosts in the private ranges only, checking every address of a name', async () => {
    expect(await policy.check('modbus', modbus({ transport: 'tcp', host: '10.1.2.3' }), client)).toEqual([]);
    expect(await policy.check('modbus', modbus({ transport: 'rtu-tcp', host: 'meter.plant', port: 4001 }), client)).toEqual([]);
    const loopback = await policy.check('modbus', modbus({ transport: 'tcp', host: '127.0.0.1' }), client);
    expect(loopback).toEqual([{ field: 'config.host', message: expect.stringContaining('config.host is outside the networks users of a client may reach') }]);
    expect(loopback[0].message).toContain('10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, fc00::/7');
    expect((await policy.check('modbus', modbus({ transport: 'tcp', host: 'localhost' }), client))[0].message).toContain('resolves to 127.0.0.1');
    expect((await policy.check('modbus', modbus({ transport: 'tcp', host: 'rebind.example' }), client))[0].message).toContain('resolves to 127.0.0.1');
    expect((await policy.check('modbus', modbus({ transport: 'tcp', host: '203.0.113.7' }), client))[0].field).toBe('config.host');
    expect((await policy.check('modbus', modbus({ transport: 'tcp', host: '::ffff:127.0.0.1' }), client))[0].field).toBe('config.host');
    expect((await policy.check('modbus', modbus({ transport: 'tcp', host: 'nowhere.invalid' }), client))[0].message).toBe(
      'config.host does not resolve to any address',
    );
    // Platform staff keep their freedom.
    expect(await policy.check('modbus', modbus({ transport: 'tcp', host: '127.0.0.1' }), staff)).toEqual([]);
  });

  it('refuses a missing path, a regular file and a link to one alike, for everyone', async () => {
    const wide = new PlantNetwork({ ...DEFAULT_PLANT_NETWORK_POLICY, serialPortAllow: [...DEFAULT_PLANT_NETWORK_POLICY.serialPortAllow, `${dir}/*`] }, lookup);
    const answers = async (caller: { staff: boolean }) =>
      Promise.all(
        ['/etc/shadow', shadowLike, join(dir, 'link-to-file'), join(dir, 'missing'), '/dev/ttyUSB-not-plugged'].map((port) =>
          wide.check('modbus', modbus({ transport: 'rtu', port }), caller),
        ),
      );
    for (const caller of [client, staff]) {
      const results = await answers(caller);
      for (const result of results) expect(result).toEqual(results[0]);
      expect(results[0]).toHaveLength(1);
      expect(results[0][0].field).toBe('config.port');
      expect(results[0][0].message).toMatch(/^config\.port is not a serial port on this server/);
    }
    // A character device passes (for a client user only where SERIAL_PORT_ALLOW lets it).
    expect(await wide.check('modbus', modbus({ transport: 'rtu', port: join(dir, 'link-to-char-device') }), client)).toEqual([]);
    expect(await policy.check('modbus', modbus({ transport: 'rtu', port: join(dir, 'link-to-char-device') }), client)).toHaveLength(1);
    expect(await policy.check('modbus', modbus({ transport: 'rtu', port: join(dir, 'link-to-char-device') }), staff)).toEqual([]);
  });

  it('matches SERIAL_PORT_ALLOW on the path as written, never across a / or through ..', () => {
    expect(policy.serialPortAllowed('/dev/ttyUSB0')).toBe(true);
    expect(policy.serialPortAllowed('/dev/serial/by-id/usb-FTDI_FT232R-if00-port0')).toBe(true);
    expect(policy.serialPortAllowed('/dev/ttyUSB0/../../etc/shadow')).toBe(false);
    expect(policy.serialPortAllowed('/dev/serial/by-id/../../mem')).toBe(false);
    expect(policy.serialPortAllowed('/dev//ttyUSB0')).toBe(false);
    expect(policy.serialPortAllowed('/dev/tty')).toBe(false);
    expect(policy.serialPortAllowed('dev/ttyUSB0')).toBe(false);
  });

  it("lets a client user name only Tuya's data centres, or what staff list", async () => {
    expect(await policy.check('tuya', tuya(), client)).toEqual([]);
    expect(await policy.check('tuya', tuya('https://openapi.tuyaus.com/'), client)).toEqual([]);
    for (const endpoint of [
      'http://127.0.0.1:8080',
      'http://169.254.169.254/latest',
      'https://openapi.tuyaeu.com.evil.example',
      'https://user:pw@openapi.tuyaeu.com',
    ]) {
      const errors = await policy.check('tuya', tuya(endpoint), client);
      expect(errors).toEqual([{ field: 'config.endpoint', message: expect.stringContaining("config.endpoint must be one of Tuya's data centres") }]);
    }
    expect(await policy.check('tuya', tuya('http://127.0.0.1:8080'), staff)).toEqual([]);
    const listed = new PlantNetwork({ ...DEFAULT_PLANT_NETWORK_POLICY, tuyaAllowedEndpoints: ['http://10.0.0.9:8080/tuya/'] }, lookup);
    expect(await listed.check('tuya', tuya('http://10.0.0.9:8080/tuya'), client)).toEqual([]);
    expect(await listed.check('tuya', tuya('http://10.0.0.9:8080/other'), client)).toHaveLength(1);
  });
});

describe('FieldBus at connect time', () => {
  let sim: RunningSimulator;
  let dir: string;
  beforeAll(async () => {
    sim = await startSimulator({ tcpPort: 0, deterministic: true, meters: [{ model: 'pzem004t', slaveId: 1 }] });
    dir = mkdtempSync(join(tmpdir(), 'pieng-ports-'));
    writeFileSync(join(dir, 'regular'), 'x');
    symlinkSync(join(dir, 'regular'), join(dir, 'link-to-regular'));
  });
  afterAll(async () => {
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('opens only character devices: a link to a regular file fails exactly like a missing port', async () => {
    const bus = new FieldBus({ reconnectBaseMs: 10 });
    const failure = async (port: string) => {
      const error = await bus.read({ id: port, deviceType: 'modbus', config: modbus({ transport: 'rtu', port }), clientId: null }).then(
        () => undefined,
        (e: unknown) => e as FieldBusError,
      );
      return { kind: error?.kind, message: error?.message.replace(port, '<port>') };
    };
    try {
      const missing = await failure(join(dir, 'missing'));
      expect(missing).toEqual({ kind: 'link-down', message: 'cannot open <port>: no such serial port' });
      expect(await failure(join(dir, 'link-to-regular'))).toEqual(missing);
      expect(await failure(join(dir, 'regular'))).toEqual(missing);
    } finally {
      await bus.close();
    }
  });

  it('connects a held device to the address it checked, and refuses a name that now points outside', async () => {
    const names: Record<string, string[]> = { 'meter.plant': ['127.0.0.1'] };
    const bus = new FieldBus({
      plantNetwork: { ...DEFAULT_PLANT_NETWORK_POLICY, modbusAllowedNetworks: ['127.0.0.0/8'] },
      lookup: fakeLookup(names),
      reconnectBaseMs: 10,
    });
    const device = {
      id: 'held',
      deviceType: 'modbus' as const,
      config: modbus({ transport: 'tcp', host: 'meter.plant', port: sim.tcpPort }),
      clientId: 1,
      heldToPolicy: true,
    };
    try {
      // 'meter.plant' exists only in the test's resolver: reading it proves the socket went to the address checked.
      expect((await bus.read(device)).metrics['voltage']).toBeCloseTo(230.2, 9);
      // The name moves outside the allowed networks (DNS rebinding): the next connect is refused before any packet.
      names['meter.plant'] = ['127.0.0.1', '203.0.113.7'];
      await bus.closeLine(bus.lineKey(device));
      const error = await bus.read(device).then(
        () => undefined,
        (e: unknown) => e as FieldBusError,
      );
      expect(error?.kind).toBe('link-down');
      expect(error?.message).toContain('meter.plant resolves to 203.0.113.7, which is outside the networks users of a client may reach');
    } finally {
      await bus.close();
    }
  });

  it('holds an open link to the policy from the moment a held device uses it', async () => {
    const bus = new FieldBus({ lookup: fakeLookup({}), reconnectBaseMs: 10 });
    const config = modbus({ transport: 'tcp', host: '127.0.0.1', port: sim.tcpPort });
    try {
      expect((await bus.read({ id: 'staff', deviceType: 'modbus', config, clientId: 1 })).metrics['voltage']).toBeCloseTo(230.2, 9);
      await expect(bus.read({ id: 'client', deviceType: 'modbus', config, clientId: 1, heldToPolicy: true })).rejects.toThrow(
        /127\.0\.0\.1 is outside the networks/,
      );
    } finally {
      await bus.close();
    }
  });
});

describe('OutboundTargets: where notifications may go', () => {
  const targets = new OutboundTargets(
    ['10.20.0.0/16'],
    fakeLookup({
      'hooks.example': ['203.0.113.7'],
      'internal.example': ['10.1.2.3'],
      'split.example': ['203.0.113.7', '127.0.0.1'],
      'relay.plant': ['10.20.3.4'],
    }),
  );

  it('lets everyone send to public addresses, and answers the address checked', async () => {
    await expect(targets.resolve('https://hooks.example/alarm', client)).resolves.toMatchObject({ address: '203.0.113.7' });
    await expect(targets.resolve('https://203.0.113.7/alarm', client)).resolves.toMatchObject({ address: '203.0.113.7' });
  });

  it('keeps private and loopback targets for platform staff, or for networks listed in OUTBOUND_ALLOWED_NETWORKS', async () => {
    for (const url of [
      'http://127.0.0.1:8080/x',
      'http://internal.example/x',
      'http://split.example/x',
      'http://[::1]/x',
      'http://[::ffff:127.0.0.1]/x',
      'http://169.254.169.254/latest/meta-data',
    ]) {
      await expect(targets.resolve(url, client)).rejects.toThrow(/is not a public address; only platform staff may send there/);
      await expect(targets.resolve(url, staff)).resolves.toMatchObject({ url: new URL(url) });
    }
    await expect(targets.resolve('https://relay.plant/hook', client)).resolves.toMatchObject({ address: '10.20.3.4' });
  });

  it('refuses what is not an http(s) URL or does not resolve', async () => {
    await expect(targets.resolve('not a url', staff)).rejects.toThrow('not a URL');
    await expect(targets.resolve('file:///etc/passwd', staff)).rejects.toThrow('file: targets are not supported');
    await expect(targets.resolve('https://nowhere.invalid/', staff)).rejects.toThrow('does not resolve to any address');
  });
});
