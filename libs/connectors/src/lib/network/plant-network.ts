import { stat } from 'node:fs/promises';
import { posix } from 'node:path';
import type { ConfigError } from '../config/validate-device-config';
import { TUYA_REGIONS, tuyaBaseUrl, type ModbusDeviceConfig, type TuyaDeviceConfig } from '../config/device-config';
import { NetworkList, PRIVATE_NETWORKS, systemLookup, type HostLookup } from './network-list';

/**
 * What users of a client may make the server reach through a device's connection settings.
 * Platform staff are not held to it (they set up meters anywhere, e.g. the simulator on 127.0.0.1);
 * the character-device rule for serial ports applies to everyone.
 */
export interface PlantNetworkPolicy {
  /** Networks a Modbus TCP or RTU-over-TCP host must resolve into (CIDR blocks or addresses). */
  modbusAllowedNetworks: readonly string[];
  /** Globs (`*` and `?`, never across a `/`) a serial port path must match. */
  serialPortAllow: readonly string[];
  /** Tuya base URLs allowed besides the documented regions (TUYA_REGIONS). */
  tuyaAllowedEndpoints: readonly string[];
}

export const DEFAULT_SERIAL_PORT_ALLOW: readonly string[] = ['/dev/ttyUSB*', '/dev/ttyACM*', '/dev/ttyS*', '/dev/serial/by-id/*', '/dev/ttyAMA*'];

export const DEFAULT_PLANT_NETWORK_POLICY: PlantNetworkPolicy = {
  modbusAllowedNetworks: PRIVATE_NETWORKS,
  serialPortAllow: DEFAULT_SERIAL_PORT_ALLOW,
  tuyaAllowedEndpoints: [],
};

/** Who set a device's connection settings: platform staff are free, users of a client are held to the policy. */
export interface ReachCaller {
  staff: boolean;
}

/**
 * One message for every path that is not a character device (missing, a regular file, a link to one,
 * a directory, unreadable): the answer must not tell whether a file exists.
 */
const NOT_A_SERIAL_PORT = 'is not a serial port on this server';

/** A glob of SERIAL_PORT_ALLOW as a regular expression: `*` any run of characters but `/`, `?` one. */
function globPattern(glob: string): RegExp {
  const body = glob
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '[^/]*')
    .replace(/\?/g, '[^/]');
  return new RegExp(`^${body}$`);
}

/** Whether a glob of SERIAL_PORT_ALLOW is usable (an absolute path). */
export function isValidSerialGlob(glob: string): boolean {
  return glob.startsWith('/') && !glob.includes('\0');
}

/** Whether a Tuya base URL may be named: no credentials, query or fragment, and http(s). */
function normalizedEndpoint(url: string): string | undefined {
  try {
    const parsed = new URL(url);
    if ((parsed.protocol !== 'https:' && parsed.protocol !== 'http:') || parsed.username || parsed.password || parsed.search || parsed.hash) return undefined;
    return `${parsed.origin}${parsed.pathname.replace(/\/+$/, '')}`;
  } catch {
    return undefined;
  }
}

/** Whether a TUYA_ALLOWED_ENDPOINTS entry is usable. */
export function isValidTuyaEndpoint(url: string): boolean {
  return normalizedEndpoint(url) !== undefined;
}

const DOCUMENTED_TUYA_ENDPOINTS = new Set(Object.values(TUYA_REGIONS).map((url) => normalizedEndpoint(url) as string));

/** Whether a Tuya base URL is one of Tuya's documented data centres (its replies' text may be shown to anyone). */
export function isDocumentedTuyaEndpoint(url: string): boolean {
  const normalized = normalizedEndpoint(url);
  return normalized !== undefined && DOCUMENTED_TUYA_ENDPOINTS.has(normalized);
}

/**
 * Whether a serial port path leads to a character device (following links, so a link to a
 * regular file is refused like a missing path). Checked when a device is saved and again each time
 * its port is opened (a link may be changed after saving).
 */
export async function isCharacterDevice(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isCharacterDevice();
  } catch {
    return false;
  }
}

/** The settings that decide what a device reaches: a change of any of them is checked again. */
export function connectionSettings(deviceType: string, config: Record<string, unknown>): string {
  if (deviceType === 'modbus') return JSON.stringify([config['transport'], config['host'], config['port']]);
  if (deviceType === 'tuya') return JSON.stringify([config['region'], config['endpoint']]);
  return '[]';
}

/**
 * The plant-network policy, compiled: checks a device's connection settings for the caller, and
 * resolves a Modbus host at connect time so that the address checked is the address connected to.
 */
export class PlantNetwork {
  private readonly modbusNetworks: NetworkList;
  private readonly serialPatterns: RegExp[];
  private readonly tuyaEndpoints: Set<string>;

  constructor(
    readonly policy: PlantNetworkPolicy = DEFAULT_PLANT_NETWORK_POLICY,
    private readonly lookup: HostLookup = systemLookup,
  ) {
    this.modbusNetworks = NetworkList.of(policy.modbusAllowedNetworks);
    this.serialPatterns = policy.serialPortAllow.map(globPattern);
    this.tuyaEndpoints = new Set(policy.tuyaAllowedEndpoints.map((url) => normalizedEndpoint(url)).filter((url): url is string => url !== undefined));
  }

  /**
   * Problems with where a validated config points, each naming its field (`config.host`,
   * `config.port`, `config.endpoint`). Empty when the caller may use it.
   */
  async check(deviceType: string, config: ModbusDeviceConfig | TuyaDeviceConfig | Record<string, unknown>, caller: ReachCaller): Promise<ConfigError[]> {
    const errors: ConfigError[] = [];
    const fail = (field: string, message: string) => errors.push({ field: `config.${field}`, message: `config.${field} ${message}` });
    if (deviceType === 'modbus') {
      const modbus = config as ModbusDeviceConfig;
      if (modbus.transport === 'rtu') {
        // For a client user, a path outside the allow-list and one that is no serial port read alike.
        const refusal = caller.staff
          ? NOT_A_SERIAL_PORT
          : `${NOT_A_SERIAL_PORT} that users of a client may use (SERIAL_PORT_ALLOW: ${this.policy.serialPortAllow.join(', ')})`;
        if (!caller.staff && !this.serialPortAllowed(modbus.port)) fail('port', refusal);
        else if (!(await isCharacterDevice(modbus.port))) fail('port', refusal);
      } else if (!caller.staff) {
        const problem = await this.modbusHostProblem(modbus.host);
        if (problem) fail('host', problem);
      }
    } else if (deviceType === 'tuya' && !caller.staff) {
      const tuya = config as TuyaDeviceConfig;
      if (tuya.endpoint !== undefined && !this.tuyaEndpointAllowed(tuyaBaseUrl(tuya))) {
        fail('endpoint', `must be one of Tuya's data centres (${Object.values(TUYA_REGIONS).join(', ')}); leave it out to use the region's`);
      }
    }
    return errors;
  }

  /** Whether a serial port path matches SERIAL_PORT_ALLOW (as written: a normalised absolute path). */
  serialPortAllowed(path: string): boolean {
    if (!path.startsWith('/') || posix.normalize(path) !== path) return false;
    return this.serialPatterns.some((pattern) => pattern.test(path));
  }

  tuyaEndpointAllowed(url: string): boolean {
    const normalized = normalizedEndpoint(url);
    return normalized !== undefined && (DOCUMENTED_TUYA_ENDPOINTS.has(normalized) || this.tuyaEndpoints.has(normalized));
  }

  /**
   * The address to connect to for a Modbus host held to the policy: every address the name stands
   * for must lie in MODBUS_ALLOWED_NETWORKS (a name with one address outside is refused whole), and
   * the first is returned, so the connection goes to an address that was checked.
   */
  async resolveModbusHost(host: string): Promise<string> {
    const { addresses, problem } = await this.resolveAllowed(host);
    if (problem) throw new Error(`${host} ${problem}`);
    return addresses[0];
  }

  private async modbusHostProblem(host: string): Promise<string | undefined> {
    return (await this.resolveAllowed(host)).problem;
  }

  private async resolveAllowed(host: string): Promise<{ addresses: string[]; problem?: string }> {
    const outside = `is outside the networks users of a client may reach (MODBUS_ALLOWED_NETWORKS: ${this.policy.modbusAllowedNetworks.join(', ') || 'none'})`;
    let addresses: string[];
    try {
      addresses = await this.lookup(host);
    } catch {
      return { addresses: [], problem: 'does not resolve to any address' };
    }
    if (addresses.length === 0) return { addresses, problem: 'does not resolve to any address' };
    const refused = addresses.find((address) => !this.modbusNetworks.contains(address));
    if (refused !== undefined) return { addresses, problem: refused === host ? outside : `resolves to ${refused}, which ${outside}` };
    return { addresses };
  }
}
