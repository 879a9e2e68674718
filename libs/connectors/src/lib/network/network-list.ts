import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

/** Every address a host name stands for (an IP literal stands for itself). */
export type HostLookup = (host: string) => Promise<string[]>;

/** The system resolver (hosts file, DNS), every address it returns. */
export const systemLookup: HostLookup = async (host) => {
  if (isIP(host)) return [host];
  const addresses = await lookup(host, { all: true, verbatim: true });
  return addresses.map((a) => a.address);
};

/** RFC 1918 and IPv6 unique local addresses: where a plant's meters live. Loopback is not among them. */
export const PRIVATE_NETWORKS: readonly string[] = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7'];

/**
 * Addresses that are not on the public internet: private ranges, loopback, link-local (which holds
 * cloud metadata services), carrier-grade NAT, "this network", multicast and reserved blocks, and their
 * IPv6 counterparts. IPv4-mapped IPv6 addresses (::ffff:127.0.0.1) count as their IPv4 address.
 */
export const NON_PUBLIC_NETWORKS: readonly string[] = [
  ...PRIVATE_NETWORKS,
  '0.0.0.0/8',
  '100.64.0.0/10',
  '127.0.0.0/8',
  '169.254.0.0/16',
  '192.0.0.0/24',
  '198.18.0.0/15',
  '224.0.0.0/4',
  '240.0.0.0/4',
  '::/128',
  '::1/128',
  '64:ff9b::/96',
  'fe80::/10',
  'ff00::/8',
];

/** Splits a configured list ("10.0.0.0/8, 192.168.1.7") into its entries. */
export function splitList(text: string | undefined): string[] {
  return (text ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0);
}

function parseEntry(entry: string): { address: string; prefix: number; family: 'ipv4' | 'ipv6' } | undefined {
  const match = /^([^/]+?)(?:\/(\d{1,3}))?$/.exec(entry);
  if (!match) return undefined;
  const version = isIP(match[1]);
  if (version === 0) return undefined;
  const max = version === 4 ? 32 : 128;
  const prefix = match[2] === undefined ? max : Number(match[2]);
  if (prefix > max) return undefined;
  return { address: match[1], prefix, family: version === 4 ? 'ipv4' : 'ipv6' };
}

/**
 * A set of networks (CIDR blocks or single addresses), checked with Node's BlockList, which also
 * matches an IPv4-mapped IPv6 address against the IPv4 blocks.
 */
export class NetworkList {
  private readonly blocks = new BlockList();

  private constructor(readonly entries: readonly string[]) {
    for (const entry of entries) {
      const parsed = parseEntry(entry) as NonNullable<ReturnType<typeof parseEntry>>;
      this.blocks.addSubnet(parsed.address, parsed.prefix, parsed.family);
    }
  }

  /** The entries that are neither an IP address nor a CIDR block (empty when all are fine). */
  static invalidEntries(entries: readonly string[]): string[] {
    return entries.filter((entry) => parseEntry(entry) === undefined);
  }

  static of(entries: readonly string[]): NetworkList {
    const invalid = NetworkList.invalidEntries(entries);
    if (invalid.length > 0) throw new Error(`not an IP address or CIDR block: ${invalid.join(', ')}`);
    return new NetworkList(entries);
  }

  /** Whether an IP address (not a host name) lies in one of the networks. */
  contains(address: string): boolean {
    const version = isIP(address);
    if (version === 0) return false;
    return this.blocks.check(address, version === 4 ? 'ipv4' : 'ipv6');
  }
}

const NON_PUBLIC = NetworkList.of(NON_PUBLIC_NETWORKS);

/** Whether an IP address is on the public internet (none of NON_PUBLIC_NETWORKS). */
export function isPublicAddress(address: string): boolean {
  return isIP(address) !== 0 && !NON_PUBLIC.contains(address);
}
