import { ConfigurationError, loadConfig } from './app-config';

describe('loadConfig', () => {
  it("takes pino's level names as aliases of Nest's (LOG_LEVEL=info was refused)", () => {
    const level = (LOG_LEVEL: string) => loadConfig({ LOG_LEVEL }).logLevel;
    expect(level('info')).toBe('log');
    expect(level('INFO')).toBe('log');
    expect(level('fatal')).toBe('error');
    expect(level('trace')).toBe('verbose');
    expect(level('warn')).toBe('warn');
    expect(level('debug')).toBe('debug');
    expect(level('log')).toBe('log');
    expect(level('verbose')).toBe('verbose');
    expect(level('')).toBe('log');
  });

  it('names LOG_LEVEL and the accepted names when the level is unknown', () => {
    expect(() => loadConfig({ LOG_LEVEL: 'chatty' })).toThrow(ConfigurationError);
    expect(() => loadConfig({ LOG_LEVEL: 'chatty' })).toThrow(
      /LOG_LEVEL="chatty": LOG_LEVEL must be one of error, warn, log, debug, verbose, fatal, info, trace/,
    );
  });

  it('takes MAX_DEVICES_PER_CLIENT (default 1000) and names it when the value is not a positive whole number', () => {
    expect(loadConfig({}).maxDevicesPerClient).toBe(1000);
    expect(loadConfig({ MAX_DEVICES_PER_CLIENT: '25' }).maxDevicesPerClient).toBe(25);
    for (const bad of ['0', '-3', '1.5', 'lots']) {
      expect(() => loadConfig({ MAX_DEVICES_PER_CLIENT: bad })).toThrow(new RegExp(`MAX_DEVICES_PER_CLIENT="${bad.replace('.', '\\.')}"`));
    }
  });
});

describe('loadConfig: retention', () => {
  it('keeps raw readings 90 days and 1-minute rollups 180 by default, 15-minute and hourly ones forever', () => {
    expect(loadConfig({}).retention).toEqual({ days: { raw: 90, oneMinute: 180, fifteenMinutes: null, oneHour: null }, hour: 2 });
    expect(
      loadConfig({ RETENTION_RAW_DAYS: '10', RETENTION_1M_DAYS: '30', RETENTION_15M_DAYS: '400', RETENTION_1H_DAYS: '', RETENTION_HOUR: '4' }).retention,
    ).toEqual({
      days: { raw: 10, oneMinute: 30, fifteenMinutes: 400, oneHour: null },
      hour: 4,
    });
  });

  it('names the variable when a retention is not a positive whole number of days', () => {
    expect(() => loadConfig({ RETENTION_RAW_DAYS: '0' })).toThrow(/RETENTION_RAW_DAYS="0"/);
    expect(() => loadConfig({ RETENTION_1M_DAYS: '1.5' })).toThrow(/RETENTION_1M_DAYS="1\.5": .*RETENTION_1M_DAYS must be a whole number of days/);
    expect(() => loadConfig({ RETENTION_1H_DAYS: 'forever' })).toThrow(/RETENTION_1H_DAYS="forever"/);
  });
});

describe('loadConfig: what the server may reach for users of a client', () => {
  it('defaults to the private ranges without loopback, the usual serial adapters, and no extra Tuya endpoint or outbound network', () => {
    expect(loadConfig({}).network).toEqual({
      modbusAllowedNetworks: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7'],
      serialPortAllow: ['/dev/ttyUSB*', '/dev/ttyACM*', '/dev/ttyS*', '/dev/serial/by-id/*', '/dev/ttyAMA*'],
      tuyaAllowedEndpoints: [],
      outboundAllowedNetworks: [],
    });
  });

  it('reads comma-separated lists', () => {
    const network = loadConfig({
      MODBUS_ALLOWED_NETWORKS: '10.4.0.0/16, 192.168.7.20 ,fd00::/8',
      SERIAL_PORT_ALLOW: '/dev/ttyUSB*,/dev/ttyRS485-*',
      TUYA_ALLOWED_ENDPOINTS: 'https://tuya-proxy.plant.lan',
      OUTBOUND_ALLOWED_NETWORKS: '10.9.0.25',
    }).network;
    expect(network).toEqual({
      modbusAllowedNetworks: ['10.4.0.0/16', '192.168.7.20', 'fd00::/8'],
      serialPortAllow: ['/dev/ttyUSB*', '/dev/ttyRS485-*'],
      tuyaAllowedEndpoints: ['https://tuya-proxy.plant.lan'],
      outboundAllowedNetworks: ['10.9.0.25'],
    });
  });

  it('refuses to start on a bad entry, naming the variable and the entry', () => {
    const failure = (env: Record<string, string>) => {
      try {
        loadConfig(env);
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigurationError);
        return (error as Error).message;
      }
      throw new Error(`${JSON.stringify(env)} was accepted`);
    };
    expect(failure({ MODBUS_ALLOWED_NETWORKS: '10.0.0.0/8,10.0.0.0/33' })).toContain(
      'MODBUS_ALLOWED_NETWORKS="10.0.0.0/8,10.0.0.0/33": "10.0.0.0/33" is not an IP address or CIDR block',
    );
    expect(failure({ OUTBOUND_ALLOWED_NETWORKS: 'mail.plant.lan' })).toContain(
      'OUTBOUND_ALLOWED_NETWORKS="mail.plant.lan": "mail.plant.lan" is not an IP address or CIDR block',
    );
    expect(failure({ TUYA_ALLOWED_ENDPOINTS: 'openapi.tuyaeu.com' })).toContain(
      'TUYA_ALLOWED_ENDPOINTS="openapi.tuyaeu.com": "openapi.tuyaeu.com" is not an http(s) URL',
    );
    expect(failure({ TUYA_ALLOWED_ENDPOINTS: 'ftp://proxy.lan' })).toContain('TUYA_ALLOWED_ENDPOINTS');
    expect(failure({ SERIAL_PORT_ALLOW: 'ttyUSB*' })).toContain('SERIAL_PORT_ALLOW="ttyUSB*": "ttyUSB*" is not an absolute path or glob');
    const both = failure({ MODBUS_ALLOWED_NETWORKS: '300.0.0.0/8', SERIAL_PORT_ALLOW: 'x' });
    expect(both).toContain('MODBUS_ALLOWED_NETWORKS');
    expect(both).toContain('SERIAL_PORT_ALLOW');
  });
});

describe('loadConfig: MQTT', () => {
  it('is off without MQTT_URL, and refuses MQTT settings given without it', () => {
    expect(loadConfig({}).mqtt).toBeUndefined();
    expect(() => loadConfig({ MQTT_USERNAME: 'meter' })).toThrow(/MQTT_USERNAME set without MQTT_URL/);
  });

  it('takes the broker and its credentials, with a client id stable for one database and distinct for another', () => {
    const env = { MQTT_URL: 'mqtt://127.0.0.1:1883', MQTT_USERNAME: 'pieng', MQTT_PASSWORD: 'pw', DATA_DIR: '/srv/pieng' };
    const mqtt = loadConfig(env).mqtt;
    expect(mqtt).toMatchObject({ url: 'mqtt://127.0.0.1:1883', username: 'pieng', password: 'pw' });
    expect(mqtt?.clientId).toMatch(/^pieng-[0-9a-f]{16}$/);
    expect(loadConfig(env).mqtt?.clientId).toBe(mqtt?.clientId);
    expect(loadConfig({ ...env, DATA_DIR: '/srv/other' }).mqtt?.clientId).not.toBe(mqtt?.clientId);
    expect(loadConfig({ ...env, MQTT_CLIENT_ID: 'plant-1' }).mqtt?.clientId).toBe('plant-1');
    // MQTT 5 unless told 4.
    expect(mqtt).toMatchObject({ protocolVersion: 5, publish: false });
    expect(loadConfig({ ...env, MQTT_PROTOCOL_VERSION: '4', MQTT_PUBLISH: 'true' }).mqtt).toMatchObject({ protocolVersion: 4, publish: true });
  });

  it('stops the start naming the variable: a URL that is no broker, an id with spaces, a certificate file that cannot be read', () => {
    expect(() => loadConfig({ MQTT_URL: 'http://broker:1883' })).toThrow(/MQTT_URL=\(value hidden\): MQTT_URL must be a broker URL/);
    expect(() => loadConfig({ MQTT_URL: 'mqtt://b', MQTT_CLIENT_ID: 'two words' })).toThrow(/MQTT_CLIENT_ID="two words"/);
    expect(() => loadConfig({ MQTT_URL: 'mqtts://b', MQTT_CA_FILE: '/nonexistent/ca.pem' })).toThrow(
      /MQTT_CA_FILE="\/nonexistent\/ca.pem": cannot be read \(ENOENT\)/,
    );
    expect(() => loadConfig({ MQTT_URL: 'mqtts://b', MQTT_CERT_FILE: __filename })).toThrow(/MQTT_CERT_FILE needs MQTT_KEY_FILE/);
    expect(() => loadConfig({ MQTT_URL: 'mqtt://b', MQTT_PROTOCOL_VERSION: '3' })).toThrow(/MQTT_PROTOCOL_VERSION must be 5 \(MQTT 5, the default\) or 4/);
  });
});
