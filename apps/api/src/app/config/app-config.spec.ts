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
    expect(() => loadConfig({ LOG_LEVEL: 'chatty' })).toThrow(/LOG_LEVEL="chatty": LOG_LEVEL must be one of error, warn, log, debug, verbose, fatal, info, trace/);
  });

  it('takes MAX_DEVICES_PER_CLIENT (default 1000) and names it when the value is not a positive whole number', () => {
    expect(loadConfig({}).maxDevicesPerClient).toBe(1000);
    expect(loadConfig({ MAX_DEVICES_PER_CLIENT: '25' }).maxDevicesPerClient).toBe(25);
    for (const bad of ['0', '-3', '1.5', 'lots']) {
      expect(() => loadConfig({ MAX_DEVICES_PER_CLIENT: bad })).toThrow(new RegExp(`MAX_DEVICES_PER_CLIENT="${bad.replace('.', '\\.')}"`));
    }
  });
});
