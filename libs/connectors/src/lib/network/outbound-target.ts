import { isPublicAddress, NetworkList, systemLookup, type HostLookup } from './network-list';

/** Why a notification target (webhook URL, mail server) may not be called. */
export class OutboundTargetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OutboundTargetError';
  }
}

export interface OutboundTarget {
  url: URL;
  /** The address that was checked: connect to this one, not to the name again (no DNS rebinding window). */
  address: string;
}

/**
 * Where the server may send things on a user's behalf (notifications): the opposite of the plant
 * network rule. Public addresses are open to everyone; private, loopback and other non-public
 * addresses only to platform staff, or when listed in OUTBOUND_ALLOWED_NETWORKS (e.g. the plant's
 * own mail relay). Every address a name resolves to is checked.
 */
export class OutboundTargets {
  private readonly allowed: NetworkList;

  constructor(
    allowedNetworks: readonly string[] = [],
    private readonly lookup: HostLookup = systemLookup,
  ) {
    this.allowed = NetworkList.of(allowedNetworks);
  }

  /** Checks a target URL for a caller and answers the address to connect to; throws OutboundTargetError. */
  async resolve(target: string, caller: { staff: boolean }): Promise<OutboundTarget> {
    let url: URL;
    try {
      url = new URL(target);
    } catch {
      throw new OutboundTargetError(`${target} is not a URL`);
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new OutboundTargetError(`${url.protocol} targets are not supported; use http or https`);
    // URL keeps the brackets of an IPv6 literal in hostname.
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    let addresses: string[];
    try {
      addresses = await this.lookup(host);
    } catch {
      addresses = [];
    }
    if (addresses.length === 0) throw new OutboundTargetError(`${host} does not resolve to any address`);
    if (!caller.staff) {
      const refused = addresses.find((address) => !isPublicAddress(address) && !this.allowed.contains(address));
      if (refused !== undefined) {
        throw new OutboundTargetError(
          `${host}${refused === host ? '' : ` resolves to ${refused}, which`} is not a public address; only platform staff may send there, or list its network in OUTBOUND_ALLOWED_NETWORKS`,
        );
      }
    }
    return { url, address: addresses[0] };
  }
}
